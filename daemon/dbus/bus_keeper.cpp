#include "dbus/bus_keeper.hpp"

#include <sys/epoll.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <system_error>

#include "common/log.hpp"

namespace netvrf {

using namespace std::chrono_literals;

namespace {
constexpr auto kFirstDelay = 1000ms;
constexpr auto kMaxDelay = 30000ms;

// The system bus's socket as sd-bus finds it (DBUS_SYSTEM_BUS_ADDRESS, else the default), when
// its address is a plain unix path; nothing for other addresses.
std::optional<std::string> systemBusSocket() {
  const char* env = std::getenv("DBUS_SYSTEM_BUS_ADDRESS");
  std::string address = env && *env ? env : "unix:path=/run/dbus/system_bus_socket";
  constexpr std::string_view prefix = "unix:path=";
  if (!address.starts_with(prefix)) return std::nullopt;
  std::string path = address.substr(prefix.size());
  path = path.substr(0, path.find_first_of(",;"));
  if (path.empty() || path.find('%') != std::string::npos) return std::nullopt;  // escaped
  return path;
}
}  // namespace

BusKeeper::BusKeeper(EventLoop& loop, Manager& manager) : loop_(loop), manager_(manager) {}

void BusKeeper::start() {
  attempt();
}

void BusKeeper::attempt() {
  retry_.reset();
  socketWatch_.reset();
  try {
    service_ = std::make_shared<BusService>(loop_, manager_);
    if (service_->lost())
      throw sdbus::Error("org.freedesktop.DBus.Error.Disconnected",
                         "the bus went away while netvrfd connected");
  } catch (const sdbus::Error& e) {
    service_.reset();
    std::string why = e.getMessage();
    if (down_.empty())
      log::warning("D-Bus: no API (" + why + "); running without it, trying again");
    else
      log::debug("D-Bus: still no bus (" + why + ")");
    down_ = why;
    retryLater();
    return;
  }
  service_->setAdminGroup(adminGroup_);
  service_->onReload = [this] { return onReload ? onReload() : std::vector<std::string>{}; };
  service_->onLost = [this](const std::string& why) { lost(why); };
  log::info(std::string("D-Bus: serving ") + kObjectPath + " as " + kBusName +
            (everUp_ ? " again" : ""));
  everUp_ = true;
  down_.clear();
  delay_ = 0ms;
}

void BusKeeper::lost(const std::string& why) {
  log::warning("D-Bus: lost the bus (" + why + "); connecting again");
  down_ = why;
  // Called from inside the service: it goes once that call has returned. Replies that still
  // wait on the attach worker hold it until they are dropped.
  retry_ = loop_.addTimer(0ms, [this] {
    service_.reset();
    retryLater();
  });
}

void BusKeeper::retryLater() {
  delay_ = delay_ == 0ms ? kFirstDelay : std::min(delay_ * 2, kMaxDelay);
  if (auto socket = systemBusSocket(); socket && access(socket->c_str(), F_OK) != 0) {
    try {
      socketWatch_ = std::make_unique<PathWatch>(*socket);
      retry_ = loop_.addIo(socketWatch_->fd(), EPOLLIN, [this](uint32_t) {
        if (!socketWatch_->exists()) return;
        delay_ = 0ms;  // dbus-daemon is starting: the next tries come soon
        attempt();
      });
      if (!socketWatch_->exists()) return;  // it may have come meanwhile
      retry_.reset();
      socketWatch_.reset();
    } catch (const std::system_error&) {
      socketWatch_.reset();  // no inotify here: the timer
    }
  }
  retry_ = loop_.addTimer(delay_, [this] { attempt(); });
}

void BusKeeper::setAdminGroup(std::optional<gid_t> gid) {
  adminGroup_ = gid;
  if (service_) service_->setAdminGroup(gid);
}

void BusKeeper::containerChanged(const ContainerView& v) {
  if (service_) service_->containerChanged(v);
}

void BusKeeper::containerGone(const std::string& key) {
  if (service_) service_->containerGone(key);
}

void BusKeeper::vrfsChanged(const std::vector<HostVrf>& vrfs) {
  if (service_) service_->vrfsChanged(vrfs);
}

}  // namespace netvrf
