#pragma once

#include <optional>
#include <string>
#include <vector>

#include "attach/host_vrfs.hpp"
#include "attach/jobs.hpp"
#include "firewall/port_rules.hpp"
#include "firewall/ruleset.hpp"
#include "networks/networks.hpp"
#include "runtime/container_event.hpp"

namespace netvrf {

// The published ports of `container` that answer in a host VRF: those on a network whose bridge
// is in one, but for ports bound to an address the VRF does not have.
std::vector<PortForward> portForwards(const std::vector<HostVrf>& vrfs, const Networks& networks,
                                      const ContainerInfo& container);

// Keeps Docker's firewall working for containers on networks in host VRFs: out to the VRF's
// other members (firewall/forward_rules.hpp), and their published ports answering on the VRF's
// addresses (firewall/port_rules.hpp). Whenever the host's VRFs are listed again (after every
// job of the attach worker, and when a host link or address changes) or a container comes or
// goes, the rules they call for are compared with the last ones applied and, when they differ,
// applied on the attach worker. The first update applies whatever it finds, an empty set too:
// what a previous run left is replaced. Runs on the loop thread only.
class Firewall {
 public:
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
  Worker* worker_ = nullptr;
  std::optional<Rules> asked_;  // none: nothing asked yet, or it failed (then written whole)
};

}  // namespace netvrf
