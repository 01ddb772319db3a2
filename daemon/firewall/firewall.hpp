#pragma once

#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "attach/host_vrfs.hpp"
#include "attach/jobs.hpp"
#include "firewall/port_rules.hpp"
#include "firewall/ruleset.hpp"
#include "loop/event_loop.hpp"
#include "networks/networks.hpp"
#include "runtime/container_event.hpp"
#include "views/container_view.hpp"

namespace netvrf {

// The published ports of `container` that answer in a host VRF: those on a network whose bridge
// is in one, but for ports bound to an address the VRF does not have.
std::vector<PortForward> portForwards(const std::vector<HostVrf>& vrfs, const Networks& networks,
                                      const ContainerInfo& container);

// Where each published port of `container` answers: in a host VRF, on which of its addresses,
// or in the main table (vrf empty), as `netvrfctl status` shows it.
std::vector<PortView> portViews(const std::vector<HostVrf>& vrfs, const Networks& networks,
                                const ContainerInfo& container);

// Keeps the host's firewall (Docker's, Podman's) working for containers on networks in host
// VRFs: out to the VRF's other members (firewall/forward_rules.hpp), and their published ports
// answering on the VRF's addresses (firewall/port_rules.hpp). Whenever the host's VRFs are
// listed again (after every job of the attach worker, and when a host link or address changes)
// or a container comes or goes, the rules they call for are compared with the last ones applied
// and, when they differ, applied on the attach worker. The first update applies whatever it
// finds, an empty set too: what a previous run left is replaced. A failed write is tried again
// by itself (`retry` recomputes and calls update), after 1 s, then up to 30 s apart: the next
// change may be long in coming. Runs on the loop thread only.
class Firewall {
 public:
  // `firstRetry`: after the first failure (unit tests make it short).
  Firewall(EventLoop& loop, std::function<void()> retry,
           std::chrono::milliseconds firstRetry = std::chrono::seconds(1))
      : loop_(loop), retry_(std::move(retry)), firstRetry_(firstRetry) {}
  void setWorker(Worker* worker) { worker_ = worker; }

  // `containers`: the running ones. `again`: apply even when nothing changed here (dockerd
  // started: its chains are new).
  void update(const std::vector<HostVrf>& vrfs, const Networks& networks,
              const std::vector<const ContainerInfo*>& containers, bool again = false);

 private:
  struct Rules {
    Ruleset ipv4, ipv6;
    bool operator==(const Rules&) const = default;
  };
  void failed();

  EventLoop& loop_;
  std::function<void()> retry_;
  EventLoop::Source retryTimer_;
  std::chrono::milliseconds firstRetry_;
  std::chrono::milliseconds retryAfter_{0};
  Worker* worker_ = nullptr;
  std::optional<Rules> asked_;  // none: nothing asked yet, or it failed (then written whole)
};

}  // namespace netvrf
