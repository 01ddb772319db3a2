#pragma once

#include <sdbus-c++/sdbus-c++.h>

#include <functional>
#include <map>
#include <optional>
#include <memory>
#include <string>
#include <vector>

#include "dbus/container_object.hpp"
#include "dbus/vrf_object.hpp"
#include "loop/event_loop.hpp"
#include "manager.hpp"
#include "netvrf1_adaptor.h"

namespace netvrf {

inline constexpr const char* kBusName = "org.netvrf1";
inline constexpr const char* kObjectPath = "/org/netvrf1";

// netvrfd on the system bus: owns org.netvrf1 and serves /org/netvrf1 (the Manager and an
// ObjectManager over one object per container and per host VRF) on the daemon's one event
// loop. The handlers only read the manager's state or hand work to it; they never wait on
// Docker or netlink.
//
// One connection's life: when the bus goes away (dbus-daemon restarted), the service stops
// serving and says so through `onLost`; BusKeeper then connects a new one. It is held by
// shared_ptr because replies to calls still waiting on the attach worker keep it (and so the
// connection their messages belong to) alive until they are answered.
class BusService
    : public sdbus::AdaptorInterfaces<org::netvrf1::Manager_adaptor, sdbus::ObjectManager_adaptor>,
      public std::enable_shared_from_this<BusService> {
 public:
  // Connects to the system bus (DBUS_SYSTEM_BUS_ADDRESS, if set) and requests the name.
  // Throws sdbus::Error when there is no bus or the policy does not let us own the name.
  BusService(EventLoop& loop, Manager& manager);
  virtual ~BusService();

  // Called once, on the loop, when the connection failed; the service does nothing after it.
  std::function<void(const std::string& why)> onLost;
  bool lost() const { return lost_; }  // already while it was being made

  // Who besides root may change things (api.group); nothing: root only.
  void setAdminGroup(std::optional<gid_t> gid) { adminGroup_ = gid; }
  // Reload(): applies the configuration file again; returns the keys that need a restart.
  // Throws ConfigError (nothing applied).
  std::function<std::vector<std::string>()> onReload;

  void containerChanged(const ContainerView& v);
  void containerGone(const std::string& key);
  void vrfsChanged(const std::vector<HostVrf>& vrfs);

 private:
  BusService(std::unique_ptr<sdbus::IConnection> connection, EventLoop& loop, Manager& manager);

  std::vector<sdbus::Struct<std::string, std::string, std::string, std::string, uint32_t,
                            std::string, std::string, std::string>>
  ListContainers() override;
  std::string Describe() override;
  void ListVrfs(
      sdbus::Result<std::vector<sdbus::Struct<std::string, uint32_t, std::vector<std::string>, bool>>>&&
          result) override;
  std::vector<sdbus::Struct<std::string, std::string, std::string, uint32_t>> ListNamespaces()
      override;
  std::vector<sdbus::Struct<std::string, std::string, std::string, std::string, std::string>>
  ListNetworks() override;
  std::vector<sdbus::Struct<std::string, std::string, std::string, std::string, std::string,
                            uint32_t>>
  ListRequests() override;
  void AttachNetwork(sdbus::Result<std::string, uint32_t>&& result, std::string network,
                     std::string vrf, std::map<std::string, sdbus::Variant> options) override;
  void DetachNetwork(sdbus::Result<std::string>&& result, std::string network) override;
  void CreateVrf(sdbus::Result<uint32_t>&& result, std::string name, uint32_t table) override;
  void DeleteVrf(sdbus::Result<>&& result, std::string name) override;
  std::string RegisterNamespace(const std::string& name, const uint32_t& pid) override;
  void UnregisterNamespace(const std::string& name) override;
  std::vector<std::string> Reload() override;
  void AttachContainer(sdbus::Result<std::vector<std::string>, uint32_t>&& result,
                       std::string container, std::string vrf,
                       std::map<std::string, sdbus::Variant> options) override;
  void DetachContainer(sdbus::Result<std::vector<std::string>>&& result, std::string container,
                       std::string vrf) override;
  void AttachSandbox(sdbus::Result<std::vector<std::string>, uint32_t>&& result, std::string id,
                     sdbus::UnixFd netns, std::string vrf,
                     std::map<std::string, sdbus::Variant> options) override;
  void ReleaseSandbox(sdbus::Result<bool, std::vector<std::string>>&& result, std::string id,
                      std::string vrf) override;

  // Throws org.freedesktop.DBus.Error.AccessDenied unless the caller is root or in the
  // configured group.
  void requireAuthorized(const std::string& action);

  // The callback that answers an asynchronous call once the manager has the outcome: `send`
  // (reply, outcome) runs unless the connection is lost meanwhile; it keeps the service alive.
  template <typename Reply, typename Send>
  auto later(std::shared_ptr<Reply> reply, Send send);

  // Runs what the bus has for us, then waits for what it needs next (POLLOUT while it still
  // has queued output, e.g. a signal emitted from another handler).
  void dispatch();

  // Stops serving and tells onLost, once.
  void connectionFailed(const sdbus::Error& e);

  std::unique_ptr<sdbus::IConnection> connection_;
  Manager& manager_;
  EventLoop::Source io_;
  bool dispatching_ = false;
  bool lost_ = false;
  std::optional<gid_t> adminGroup_;
  std::map<std::string, std::unique_ptr<ContainerObject>> containers_;  // by runtime/id
  std::map<std::string, std::unique_ptr<VrfObject>> vrfs_;              // by name
};

}  // namespace netvrf
