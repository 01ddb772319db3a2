#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <optional>
#include <string>

#include "loop/event_loop.hpp"
#include "netlink/link_monitor.hpp"

namespace netvrf {

// Hears interfaces change in namespaces (a container's, by its key; the host's, with its
// addresses: published ports answer on a host VRF's addresses) and says so,
// once per burst: a delete releases every port first, so the callback runs 200 ms after the last
// notification. It only says that something changed; what to do is the caller's (it marks the
// container to be checked). Runs on the loop thread only.
class LinkWatch {
 public:
  LinkWatch(EventLoop& loop, std::function<void(const std::string& key)> containerChanged,
            std::function<void()> hostChanged);

  // Follows the links of namespace `netns` for container `key` from now on (again: replaced).
  // Throws std::system_error when it cannot.
  void watch(const std::string& key, int netns);
  void stop(const std::string& key);
  bool watching(const std::string& key) const { return watches_.count(key) != 0; }
  // The host's links; throws std::system_error when it cannot.
  void watchHost();

  static constexpr std::chrono::milliseconds kSettle{200};

 private:
  struct Watch {
    LinkMonitor monitor;
    EventLoop::Source io;
    EventLoop::Source settle;
  };
  // The watch drained its notifications: schedule `then` after the burst; false when it failed.
  bool heard(Watch& w, const std::function<void()>& then, const std::string& what);

  EventLoop& loop_;
  std::function<void(const std::string&)> containerChanged_;
  std::function<void()> hostChanged_;
  std::map<std::string, Watch> watches_;  // by container key
  std::optional<Watch> host_;
};

}  // namespace netvrf
