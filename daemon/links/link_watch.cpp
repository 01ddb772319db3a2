#include "links/link_watch.hpp"

#include <sys/epoll.h>

#include "common/log.hpp"
#include "netlink/in_netns.hpp"

namespace netvrf {

LinkWatch::LinkWatch(EventLoop& loop, std::function<void(const std::string& key)> containerChanged,
                     std::function<void()> hostChanged)
    : loop_(loop),
      containerChanged_(std::move(containerChanged)),
      hostChanged_(std::move(hostChanged)) {}

void LinkWatch::watch(const std::string& key, int netns) {
  stop(key);
  LinkMonitor monitor = runInNetns(netns, [] { return LinkMonitor(); });
  Watch& w = watches_.emplace(key, Watch{std::move(monitor), {}, {}}).first->second;
  w.io = loop_.addIo(w.monitor.fd(), EPOLLIN, [this, key](uint32_t) {
    auto it = watches_.find(key);
    if (it == watches_.end()) return;
    if (!heard(
            it->second, [this, key] { containerChanged_(key); }, "container " + key))
      watches_.erase(it);
  });
}

void LinkWatch::stop(const std::string& key) {
  watches_.erase(key);
}

void LinkWatch::watchHost() {
  host_.emplace(Watch{LinkMonitor(true), {}, {}});
  host_->io = loop_.addIo(host_->monitor.fd(), EPOLLIN, [this](uint32_t) {
    if (!heard(*host_, hostChanged_, "the host")) host_.reset();
  });
}

bool LinkWatch::heard(Watch& w, const std::function<void()>& then, const std::string& what) {
  try {
    if (!w.monitor.drain()) return true;
  } catch (const std::system_error& e) {
    log::warning("link notifications of " + what + " failed: " + e.what() +
                 "; its links are no longer followed");
    return false;
  }
  w.settle = loop_.addTimer(kSettle, [&w, then] {
    auto run = then;  // this closure goes with its source
    w.settle.reset();
    run();
  });
  return true;
}

}  // namespace netvrf
