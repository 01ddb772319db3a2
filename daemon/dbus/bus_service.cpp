#include "dbus/bus_service.hpp"

#include "attach/host_side.hpp"
#include "common/log.hpp"
#include "dbus/attach_options.hpp"
#include "dbus/authorization.hpp"
#include "dbus/error_names.hpp"
#include "netns/name.hpp"

#include <poll.h>
#include <sys/epoll.h>

#include <limits>
#include <set>

namespace netvrf {
namespace {


// Runs a method's body; what it throws becomes the reply's error: an sdbus::Error as it is, a
// VrfError by its kind, anything else under `fallback`.
template <typename Reply, typename Body>
void answer(Reply& reply, const char* fallback, Body&& body) {
  try {
    body();
  } catch (const sdbus::Error& e) {
    reply.returnError(e);
  } catch (const VrfError& e) {
    reply.returnError(sdbus::Error(errorNameFor(e.kind()), e.what()));
  } catch (const std::exception& e) {
    reply.returnError(sdbus::Error(fallback, e.what()));
  }
}

}  // namespace

BusService::BusService(EventLoop& loop, Manager& manager)
    : BusService(sdbus::createSystemBusConnection(kBusName), loop, manager) {}

BusService::BusService(std::unique_ptr<sdbus::IConnection> connection, EventLoop& loop,
                       Manager& manager)
    : AdaptorInterfaces(*connection, kObjectPath),
      connection_(std::move(connection)),
      manager_(manager) {
  registerAdaptor();
  // The daemon makes no outgoing calls, so the bus never needs a timer of ours: its timeouts
  // are for replies we would be waiting for.
  io_ =
      loop.addIo(connection_->getEventLoopPollData().fd, EPOLLIN, [this](uint32_t) { dispatch(); });
  for (const auto& v : manager_.containers()) containerChanged(v);  // adopted from a last run
  vrfsChanged(manager_.hostVrfs());
  dispatch();
}

BusService::~BusService() {
  unregisterAdaptor();
}

void BusService::dispatch() {
  // A handler that changes state makes the manager report it, and so emits signals, from within
  // this loop; sd-bus refuses to be processed re-entrantly (EBUSY). The outer call flushes.
  if (dispatching_ || lost_) return;
  dispatching_ = true;
  try {
    while (connection_->processPendingRequest()) {
    }
    auto poll = connection_->getEventLoopPollData();
    uint32_t events = EPOLLIN;
    if (poll.events & POLLOUT) events |= EPOLLOUT;
    io_.setIoEvents(events);
  } catch (const sdbus::Error& e) {
    connectionFailed(e);
  }
  dispatching_ = false;
}

void BusService::connectionFailed(const sdbus::Error& e) {
  // The bus closed the connection (dbus-daemon stopped or restarted): nothing more can be sent
  // or received on it.
  if (lost_) return;
  lost_ = true;
  io_.reset();
  if (onLost) onLost(e.getMessage());
}

void BusService::containerChanged(const ContainerView& v) {
  if (lost_) return;
  std::string key = v.runtime + "/" + v.id;
  try {
    auto& object = containers_[key];
    if (object)
      object->update(v);
    else
      object = std::make_unique<ContainerObject>(*connection_, v);
    emitContainerChanged(key, v.name, v.state, v.vrf);
  } catch (const sdbus::Error& e) {
    connectionFailed(e);
    return;
  }
  dispatch();
}

void BusService::containerGone(const std::string& key) {
  if (lost_) return;
  if (containers_.erase(key)) dispatch();
}

void BusService::vrfsChanged(const std::vector<HostVrf>& vrfs) {
  if (lost_) return;
  std::map<std::string, const HostVrf*> now;
  for (const auto& v : vrfs) now[v.name] = &v;
  for (auto it = vrfs_.begin(); it != vrfs_.end();)
    it = now.count(it->first) ? std::next(it) : vrfs_.erase(it);
  try {
    for (const auto& [name, v] : now) {
      auto& object = vrfs_[name];
      if (object)
        object->update(*v);
      else
        object = std::make_unique<VrfObject>(*connection_, *v);
    }
  } catch (const sdbus::Error& e) {
    connectionFailed(e);
    return;
  }
  dispatch();
}

std::vector<sdbus::Struct<std::string, std::string, std::string, std::string, uint32_t, std::string,
                          std::string, std::string>>
BusService::ListContainers() {
  std::vector<sdbus::Struct<std::string, std::string, std::string, std::string, uint32_t,
                            std::string, std::string, std::string>>
      out;
  for (const auto& v : manager_.containers())
    out.emplace_back(v.runtime, v.id, v.name, v.entry, v.pid, v.state, v.vrf, v.hostVrf);
  return out;
}

std::string BusService::Describe() {
  return manager_.describeJson();
}

void BusService::requireAuthorized(const std::string& action) {
  const sdbus::Message* m = getObject().getCurrentlyProcessedMessage();
  Caller caller{m->getCredsUid(), m->getCredsGid(), m->getCredsSupplementaryGids()};
  if (!mayChange(caller, adminGroup_))
    throw sdbus::Error("org.freedesktop.DBus.Error.AccessDenied",
                       action + " is for root" + (adminGroup_ ? " and group api.group" : "") +
                           " only (caller uid " + std::to_string(caller.uid) + ")");
}

template <typename Reply, typename Send>
auto BusService::later(std::shared_ptr<Reply> reply, Send send) {
  return [self = shared_from_this(), reply = std::move(reply), send](auto o) {
    if (self->lost_) return;  // whoever asked is on a bus we no longer reach
    try {
      send(*reply, o);
    } catch (const sdbus::Error& e) {
      log::warning("D-Bus: could not send a reply: " + e.getMessage());
    }
    self->dispatch();
  };
}

void BusService::AttachContainer(sdbus::Result<std::vector<std::string>, uint32_t>&& result,
                                 std::string container, std::string vrf,
                                 std::map<std::string, sdbus::Variant> options) {
  // The reply outlives this handler: it is sent when the attach worker is done.
  auto reply =
      std::make_shared<sdbus::Result<std::vector<std::string>, uint32_t>>(std::move(result));
  answer(*reply, "org.netvrf1.Error.AttachFailed", [&] {
    requireAuthorized("AttachContainer");
    AttachOptions o = parseAttachOptions(vrf, options);
    auto found = manager_.findRegistered(container);
    if (found.key.empty()) throw sdbus::Error(errorNameFor(found.why), found.error);
    if (o.host)
      manager_.requestAttachHost(
          found.key, std::move(o.leg), o.temporary,
          later(reply, [](auto& r, const Done<HostSideResult>& d) {
            if (d)
              r.returnResults({d.value->hostIfname}, d.value->vrf.table);
            else
              r.returnError(sdbus::Error(errorNameFor(d.errorKind), d.error));
          }));
    else
      manager_.requestAttach(found.key, std::move(o.inside), o.temporary,
                             later(reply, [](auto& r, const Done<InsideResult>& d) {
                               if (d)
                                 r.returnResults(d.value->interfaces, d.value->vrf.table);
                               else
                                 r.returnError(sdbus::Error(errorNameFor(d.errorKind), d.error));
                             }));
  });
}

void BusService::DetachContainer(sdbus::Result<std::vector<std::string>>&& result,
                                 std::string container, std::string vrf) {
  auto reply = std::make_shared<sdbus::Result<std::vector<std::string>>>(std::move(result));
  answer(*reply, "org.netvrf1.Error.DetachFailed", [&] {
    requireAuthorized("DetachContainer");
    if (!vrf.empty())
      if (auto e = ifnameError(vrf))
        throw sdbus::Error(kInvalidArgument, "VRF '" + printableName(vrf) + "': " + *e);
    auto found = manager_.findRegistered(container);
    if (found.why == Manager::Refusal::NoSuchContainer) {
      // Not running: what is stored for that name goes.
      if (auto vrfs = manager_.forgetStopped(container, vrf)) {
        reply->returnResults(*vrfs);
        return;
      }
    }
    if (found.key.empty()) throw sdbus::Error(errorNameFor(found.why), found.error);
    manager_.requestDetach(
        found.key, vrf, later(reply, [](auto& r, const Done<std::vector<std::string>>& d) {
          if (d)
            r.returnResults(*d.value);
          else
            r.returnError(sdbus::Error("org.netvrf1.Error.DetachFailed", d.error));
        }));
  });
}

void BusService::AttachSandbox(sdbus::Result<std::vector<std::string>, uint32_t>&& result,
                               std::string id, sdbus::UnixFd netns, std::string vrf,
                               std::map<std::string, sdbus::Variant> options) {
  auto reply =
      std::make_shared<sdbus::Result<std::vector<std::string>, uint32_t>>(std::move(result));
  answer(*reply, "org.netvrf1.Error.AttachFailed", [&] {
    requireAuthorized("AttachSandbox");
    // Its own options; the rest are AttachContainer's, except that it lasts as the sandbox.
    std::string name, path;
    for (auto [key, field] : {std::pair{"name", &name}, {"path", &path}}) {
      auto it = options.find(key);
      if (it == options.end()) continue;
      try {
        *field = it->second.get<std::string>();
      } catch (const sdbus::Error&) {
        throw sdbus::Error(kInvalidArgument, std::string("option '") + key + "' is not a string");
      }
      options.erase(it);
    }
    if (options.count("temporary"))
      throw sdbus::Error(kInvalidArgument,
                         "option 'temporary' does not apply: a sandbox's attach lasts as it does");
    AttachOptions o = parseAttachOptions(vrf, options);
    Manager::SandboxAdd add{id, name, path, Fd(netns.release())};
    auto failed = [](auto& r, const auto& d) {
      r.returnError(sdbus::Error(errorNameFor(d.errorKind), d.error));
    };
    Found found;
    if (o.host)
      found =
          manager_.attachSandboxHost(std::move(add), std::move(o.leg),
                                     later(reply, [failed](auto& r, const Done<HostSideResult>& d) {
                                       if (d)
                                         r.returnResults({d.value->hostIfname}, d.value->vrf.table);
                                       else
                                         failed(r, d);
                                     }));
    else
      found = manager_.attachSandbox(std::move(add), std::move(o.inside),
                                     later(reply, [failed](auto& r, const Done<InsideResult>& d) {
                                       if (d)
                                         r.returnResults(d.value->interfaces, d.value->vrf.table);
                                       else
                                         failed(r, d);
                                     }));
    if (found.key.empty()) throw sdbus::Error(errorNameFor(found.why), found.error);
  });
}

void BusService::ReleaseSandbox(sdbus::Result<bool, std::vector<std::string>>&& result,
                                std::string id, std::string vrf) {
  auto reply = std::make_shared<sdbus::Result<bool, std::vector<std::string>>>(std::move(result));
  answer(*reply, "org.netvrf1.Error.DetachFailed", [&] {
    requireAuthorized("ReleaseSandbox");
    if (!vrf.empty())
      if (auto e = ifnameError(vrf))
        throw sdbus::Error(kInvalidArgument, "VRF '" + printableName(vrf) + "': " + *e);
    manager_.releaseSandbox(
        id, vrf, later(reply, [](auto& r, const Done<Manager::SandboxReleased>& d) {
          if (d)
            r.returnResults(d.value->known, d.value->vrfs);
          else
            r.returnError(sdbus::Error("org.netvrf1.Error.DetachFailed", d.error));
        }));
  });
}

void BusService::ListVrfs(
    sdbus::Result<std::vector<sdbus::Struct<std::string, uint32_t, std::vector<std::string>, bool>>>&&
        result) {
  using Reply = sdbus::Result<
      std::vector<sdbus::Struct<std::string, uint32_t, std::vector<std::string>, bool>>>;
  auto reply = std::make_shared<Reply>(std::move(result));
  answer(*reply, "org.netvrf1.Error.Failed", [&] {
    manager_.listVrfs(
        later(reply, [](auto& r, const Done<std::vector<HostVrf>>& d) {
          if (!d) {
            r.returnError(sdbus::Error("org.netvrf1.Error.Failed",
                                       "cannot list the host's VRFs: " + d.error));
            return;
          }
          std::vector<sdbus::Struct<std::string, uint32_t, std::vector<std::string>, bool>> out;
          for (const auto& v : *d.value)
            out.emplace_back(v.name, v.table, v.interfaces, v.owned);
          r.returnResults(out);
        }));
  });
}

std::vector<sdbus::Struct<std::string, std::string, std::string, uint32_t>>
BusService::ListNamespaces() {
  std::vector<sdbus::Struct<std::string, std::string, std::string, uint32_t>> out;
  try {
    for (const auto& n : manager_.namespaces()) out.emplace_back(n.name, n.runtime, n.owner, n.pid);
  } catch (const std::exception& e) {
    throw sdbus::Error("org.netvrf1.Error.Failed", e.what());
  }
  return out;
}

std::vector<sdbus::Struct<std::string, std::string, std::string, std::string, std::string>>
BusService::ListNetworks() {
  std::vector<sdbus::Struct<std::string, std::string, std::string, std::string, std::string>> out;
  for (const auto& n : manager_.networks()) out.emplace_back(n.runtime, n.id, n.name, n.bridge, n.vrf);
  return out;
}

std::vector<sdbus::Struct<std::string, std::string, std::string, std::string, std::string, uint32_t>>
BusService::ListRequests() {
  std::vector<
      sdbus::Struct<std::string, std::string, std::string, std::string, std::string, uint32_t>>
      out;
  for (const auto& r : manager_.requests()) {
    std::optional<uint64_t> table =
        r.part == StoredRequest::Part::Inside ? r.inside.table : r.host.table;
    out.emplace_back(r.runtime, r.name, toString(r.part), r.detached ? "detach" : "attach",
                     r.detached ? "" : r.vrf(), uint32_t(table.value_or(0)));
  }
  return out;
}

void BusService::AttachNetwork(sdbus::Result<std::string, uint32_t>&& result, std::string network,
                               std::string vrf, std::map<std::string, sdbus::Variant> options) {
  auto reply = std::make_shared<sdbus::Result<std::string, uint32_t>>(std::move(result));
  answer(*reply, "org.netvrf1.Error.AttachFailed", [&] {
    requireAuthorized("AttachNetwork");
    AttachOptions o = parseAttachOptions(vrf, options);
    if (o.host || !o.inside.interfaces.empty() || o.inside.strict)
      throw sdbus::Error(kInvalidArgument, "a network takes only the option 'table'");
    auto found = manager_.findNetwork(network);
    if (found.key.empty()) throw sdbus::Error(errorNameFor(found.why), found.error);
    manager_.requestNetworkAttach(
        found.key, vrf, o.inside.table, later(reply, [](auto& r, const Done<InsideResult>& d) {
          if (d)
            r.returnResults(d.value->interfaces.at(0), d.value->vrf.table);
          else
            r.returnError(sdbus::Error(errorNameFor(d.errorKind), d.error));
        }));
  });
}

void BusService::DetachNetwork(sdbus::Result<std::string>&& result, std::string network) {
  auto reply = std::make_shared<sdbus::Result<std::string>>(std::move(result));
  answer(*reply, "org.netvrf1.Error.DetachFailed", [&] {
    requireAuthorized("DetachNetwork");
    auto found = manager_.findNetwork(network);
    if (found.key.empty()) throw sdbus::Error(errorNameFor(found.why), found.error);
    manager_.requestNetworkDetach(
        found.key, later(reply, [](auto& r, const Done<std::string>& d) {
          if (d)
            r.returnResults(*d.value);
          else
            r.returnError(sdbus::Error("org.netvrf1.Error.DetachFailed", d.error));
        }));
  });
}

void BusService::CreateVrf(sdbus::Result<uint32_t>&& result, std::string name, uint32_t table) {
  auto reply = std::make_shared<sdbus::Result<uint32_t>>(std::move(result));
  answer(*reply, "org.netvrf1.Error.Failed", [&] {
    requireAuthorized("CreateVrf");
    if (auto e = ifnameError(name))
      throw sdbus::Error(kInvalidArgument, "VRF '" + printableName(name) + "': " + *e);
    std::optional<uint64_t> wanted;
    if (table) {
      if (auto e = tableError(table)) throw sdbus::Error(kInvalidArgument, *e);
      wanted = table;
    }
    manager_.createVrf(name, wanted, later(reply, [](auto& r, const Done<HostVrf>& d) {
                         if (d)
                           r.returnResults(d.value->table);
                         else
                           r.returnError(sdbus::Error(errorNameFor(d.errorKind), d.error));
                       }));
  });
}

void BusService::DeleteVrf(sdbus::Result<>&& result, std::string name) {
  auto reply = std::make_shared<sdbus::Result<>>(std::move(result));
  answer(*reply, "org.netvrf1.Error.Failed", [&] {
    requireAuthorized("DeleteVrf");
    if (auto e = ifnameError(name))
      throw sdbus::Error(kInvalidArgument, "VRF '" + printableName(name) + "': " + *e);
    manager_.deleteVrf(name, later(reply, [](auto& r, const Done<Nothing>& d) {
                         if (d)
                           r.returnResults();
                         else
                           r.returnError(sdbus::Error(errorNameFor(d.errorKind), d.error));
                       }));
  });
}

std::string BusService::RegisterNamespace(const std::string& name, const uint32_t& pid) {
  requireAuthorized("RegisterNamespace");
  if (pid > uint32_t(std::numeric_limits<pid_t>::max()))
    throw sdbus::Error(kInvalidArgument, "PID " + std::to_string(pid) + " is not valid");
  auto r = manager_.registerProcess(name, pid_t(pid));
  if (r.key.empty()) throw sdbus::Error(errorNameFor(r.why), r.error);
  return manager_.container(r.key)->netnsPath;
}

void BusService::UnregisterNamespace(const std::string& name) {
  requireAuthorized("UnregisterNamespace");
  auto r = manager_.unregisterProcess(name);
  if (r.key.empty()) throw sdbus::Error(errorNameFor(r.why), r.error);
}

std::vector<std::string> BusService::Reload() {
  requireAuthorized("Reload");
  try {
    return onReload ? onReload() : std::vector<std::string>{};
  } catch (const ConfigError& e) {
    throw sdbus::Error("org.netvrf1.Error.InvalidConfig",
                       std::string(e.what()) + "; the running configuration is kept");
  }
}

}  // namespace netvrf
