#pragma once

#include <sys/types.h>

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "common/path_watch.hpp"
#include "dbus/bus_service.hpp"
#include "loop/event_loop.hpp"
#include "manager.hpp"

namespace netvrf {

// Keeps netvrfd on the system bus: connects the BusService, and when there is no bus yet or the
// bus goes away (dbus-daemon restarted), connects again with a growing delay (1 s up to 30 s)
// and owns org.netvrf1 again, with every object and the configuration it had. While the bus's
// socket does not exist, its appearing is waited for with inotify instead, without a timer.
// netvrfd does its job without a bus meanwhile; the outage is logged once, when it starts and
// when it ends.
class BusKeeper {
 public:
  BusKeeper(EventLoop& loop, Manager& manager);

  void start();  // the first attempt, now
  bool connected() const { return service_ != nullptr; }

  void setAdminGroup(std::optional<gid_t> gid);
  // Reload() on the bus; see BusService::onReload.
  std::function<std::vector<std::string>()> onReload;

  // The manager's changes, for whichever connection is up.
  void containerChanged(const ContainerView& v);
  void containerGone(const std::string& key);
  void vrfsChanged(const std::vector<HostVrf>& vrfs);

 private:
  void attempt();
  void lost(const std::string& why);
  void retryLater();

  EventLoop& loop_;
  Manager& manager_;
  std::shared_ptr<BusService> service_;
  std::optional<gid_t> adminGroup_;
  EventLoop::Source retry_;  // the timer, or the watch on the bus's socket
  std::unique_ptr<PathWatch> socketWatch_;
  std::chrono::milliseconds delay_{0};
  bool everUp_ = false;
  std::string down_;  // why there is no connection, as last logged; empty while connected
};

}  // namespace netvrf
