#pragma once

#include <map>
#include <optional>
#include <set>
#include <stdexcept>
#include <string>

#include "attach/host_side.hpp"
#include "attach/inside.hpp"

namespace netvrf {

// The labels that attach a container to VRFs when it starts.
// Inside its namespace:
//   netvrf.vrf=red                   the VRF; required for the others
//   netvrf.table=1001                its table; default: the one netvrfd keeps for that name
//   netvrf.interfaces=eth0,eth1      the interfaces to enslave; default: all but loopback
//   netvrf.strict=true               leave processes that bind to no VRF outside it
// A leg into a VRF of the host (a veth pair):
//   netvrf.host_vrf=red              the host's VRF; required for the others
//   netvrf.host_table=1001           its table; default as above
//   netvrf.host_addresses=203.0.113.10/24,2001:db8::10/64   the container end's; required
//   netvrf.host_gateways=203.0.113.1,2001:db8::1            the host end's
//   netvrf.host_interface=nv-red     the container end's name; default nv-<vrf>
// One interface in a VRF of its own, inside the namespace (several VRFs in one container):
//   netvrf.vrf.eth1=mgmt             eth1 into VRF mgmt
//   netvrf.default.eth1=true         mgmt takes unbound sockets (see Wanted: one default)
// On a Docker (or Podman) network, see planFromNetworkLabels.
inline constexpr const char* kVrfLabel = "netvrf.vrf";

class LabelError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct LabelPlan {
  std::optional<InsideRequest> inside;
  std::optional<HostSideRequest> host;
  std::map<std::string, std::string> interfaceVrfs;  // netvrf.vrf.<interface>: interface -> VRF
  std::set<std::string> defaults;                    // netvrf.default.<interface>=true
};

// What the labels ask for; nothing without netvrf.vrf or netvrf.host_vrf. `containerId` names
// the host end of the veth pair. Throws LabelError naming the label for a value that cannot be
// used (an unknown netvrf.* label too: a typo must not silently do nothing).
LabelPlan planFromLabels(const std::map<std::string, std::string>& labels,
                         const std::string& containerId);

// The labels of a runtime's network:
//   netvrf.vrf=red, netvrf.table=1001   its bridge into VRF red on the host
//   netvrf.container_vrf=blue           each container's interface on it into VRF blue, inside
//                                       that container's namespace
//   netvrf.default=true                 that VRF takes the container's unbound sockets
struct NetworkLabelPlan {
  std::optional<InsideRequest> bridge;  // strict, the bridge its one interface (set by the caller)
  std::string containerVrf;             // empty: none
  bool isDefault = false;
};
// Throws LabelError naming the label, as planFromLabels.
NetworkLabelPlan planFromNetworkLabels(const std::map<std::string, std::string>& labels);

}  // namespace netvrf
