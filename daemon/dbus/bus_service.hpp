#pragma once

#include <sdbus-c++/sdbus-c++.h>

#include <memory>
#include <string>
#include <vector>

#include "loop/event_loop.hpp"
#include "manager.hpp"
#include "netvrf1_adaptor.h"

namespace netvrf {

inline constexpr const char* kBusName = "org.netvrf1";
inline constexpr const char* kObjectPath = "/org/netvrf1";

// netvrfd on the system bus: owns org.netvrf1 and serves /org/netvrf1 on the daemon's one
// event loop. The handlers only read the manager's state or hand work to it; they never wait
// on Docker or netlink.
class BusService : public sdbus::AdaptorInterfaces<org::netvrf1::Manager_adaptor> {
 public:
  // Connects to the system bus (DBUS_SYSTEM_BUS_ADDRESS, if set) and requests the name.
  // Throws sdbus::Error when there is no bus or the policy does not let us own the name.
  BusService(EventLoop& loop, Manager& manager);
  virtual ~BusService();

  void containerChanged(const ContainerView& v);

 private:
  BusService(std::unique_ptr<sdbus::IConnection> connection, EventLoop& loop, Manager& manager);

  std::vector<sdbus::Struct<std::string, std::string, std::string, std::string, uint32_t,
                            std::string, std::string, std::string>>
  ListContainers() override;
  std::string Describe() override;
  void AttachContainer(sdbus::Result<std::vector<std::string>, uint32_t>&& result,
                       std::string container, std::string vrf,
                       std::map<std::string, sdbus::Variant> options) override;
  void DetachContainer(sdbus::Result<std::vector<std::string>>&& result, std::string container,
                       std::string vrf) override;

  // Throws org.freedesktop.DBus.Error.AccessDenied unless the caller is root.
  void requireRoot(const std::string& action);

  // Runs what the bus has for us, then waits for what it needs next (POLLOUT while it still
  // has queued output, e.g. a signal emitted from another handler).
  void dispatch();

  std::unique_ptr<sdbus::IConnection> connection_;
  Manager& manager_;
  EventLoop::Source io_;
};

}  // namespace netvrf
