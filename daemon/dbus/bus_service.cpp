#include "dbus/bus_service.hpp"

#include <poll.h>
#include <sys/epoll.h>

namespace netvrf {
namespace {

constexpr const char* kInvalid = "org.netvrf1.Error.InvalidArgument";

const char* errorNameFor(VrfError::Kind kind) {
  switch (kind) {
    case VrfError::Kind::Invalid:
      return kInvalid;
    case VrfError::Kind::NotSupported:
      return "org.netvrf1.Error.NotSupported";
    case VrfError::Kind::TableInUse:
      return "org.netvrf1.Error.TableInUse";
    case VrfError::Kind::Failed:
      break;
  }
  return "org.netvrf1.Error.AttachFailed";
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
  dispatch();
}

BusService::~BusService() {
  unregisterAdaptor();
}

void BusService::dispatch() {
  while (connection_->processPendingRequest()) {
  }
  auto poll = connection_->getEventLoopPollData();
  uint32_t events = EPOLLIN;
  if (poll.events & POLLOUT) events |= EPOLLOUT;
  io_.setIoEvents(events);
}

void BusService::containerChanged(const ContainerView& v) {
  emitContainerChanged(v.runtime + "/" + v.id, v.name, v.state, v.vrf);
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

void BusService::requireRoot(const std::string& action) {
  uid_t uid = getObject().getCurrentlyProcessedMessage()->getCredsUid();
  if (uid != 0)
    throw sdbus::Error("org.freedesktop.DBus.Error.AccessDenied",
                       action + " is for root only (caller uid " + std::to_string(uid) + ")");
}

void BusService::AttachContainer(sdbus::Result<std::vector<std::string>, uint32_t>&& result,
                                 std::string container, std::string vrf,
                                 std::map<std::string, sdbus::Variant> options) {
  // The reply outlives this handler: it is sent when the attach worker is done.
  auto reply =
      std::make_shared<sdbus::Result<std::vector<std::string>, uint32_t>>(std::move(result));
  try {
    requireRoot("AttachContainer");
    InsideRequest req;
    req.vrf = vrf;
    if (auto e = ifnameError(vrf)) throw sdbus::Error(kInvalid, "VRF '" + vrf + "': " + *e);
    for (const auto& [key, value] : options) {
      try {
        if (key == "table") {
          uint32_t t = value.get<uint32_t>();
          if (auto e = tableError(t)) throw sdbus::Error(kInvalid, *e);
          req.table = t;
        } else if (key == "interfaces") {
          req.interfaces = value.get<std::vector<std::string>>();
          for (const auto& i : req.interfaces)
            if (auto e = ifnameError(i)) throw sdbus::Error(kInvalid, "'" + i + "': " + *e);
        } else if (key == "strict") {
          req.strict = value.get<bool>();
        } else {
          throw sdbus::Error(kInvalid,
                             "unknown option '" + key + "' (known: table, interfaces, strict)");
        }
      } catch (const sdbus::Error& e) {
        if (e.getName() == kInvalid) throw;
        throw sdbus::Error(kInvalid, "option '" + key + "' has the wrong type");
      }
    }
    auto found = manager_.findRegistered(container);
    if (found.key.empty()) throw sdbus::Error(found.errorName, found.error);
    manager_.requestAttach(found.key, std::move(req), [this, reply](const AttachOutcome& o) {
      if (o.result)
        reply->returnResults(o.result->interfaces, o.result->vrf.table);
      else
        reply->returnError(sdbus::Error(errorNameFor(o.errorKind), o.error));
      dispatch();
    });
  } catch (const sdbus::Error& e) {
    reply->returnError(e);
  } catch (const std::exception& e) {
    reply->returnError(sdbus::Error("org.netvrf1.Error.AttachFailed", e.what()));
  }
}

void BusService::DetachContainer(sdbus::Result<std::vector<std::string>>&& result,
                                 std::string container, std::string vrf) {
  auto reply = std::make_shared<sdbus::Result<std::vector<std::string>>>(std::move(result));
  try {
    requireRoot("DetachContainer");
    if (!vrf.empty())
      if (auto e = ifnameError(vrf)) throw sdbus::Error(kInvalid, "VRF '" + vrf + "': " + *e);
    auto found = manager_.findRegistered(container);
    if (found.key.empty()) throw sdbus::Error(found.errorName, found.error);
    manager_.requestDetach(found.key, vrf, [this, reply](const AttachOutcome& o) {
      if (o.detachResult)
        reply->returnResults(o.detachResult->vrfs);
      else
        reply->returnError(sdbus::Error("org.netvrf1.Error.DetachFailed", o.error));
      dispatch();
    });
  } catch (const sdbus::Error& e) {
    reply->returnError(e);
  } catch (const std::exception& e) {
    reply->returnError(sdbus::Error("org.netvrf1.Error.DetachFailed", e.what()));
  }
}

}  // namespace netvrf
