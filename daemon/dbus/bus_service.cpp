#include "dbus/bus_service.hpp"

#include <poll.h>
#include <sys/epoll.h>

namespace netvrf {

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

}  // namespace netvrf
