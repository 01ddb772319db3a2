#pragma once

// What a host VRF's container networks need in Docker's firewall. A packet routed inside a host
// VRF reaches FORWARD with the VRF device as its input device, not the bridge it came from, so
// Docker's `-i br-X ! -o br-X -j ACCEPT` never matches it and the FORWARD policy (DROP) wins:
// a container on a network in host VRF blue cannot reach blue's uplinks. One rule per network
// subnet and uplink puts that back: `-i blue -s SUBNET -o UPLINK -j ACCEPT`. Replies, published
// ports (firewall/port_rules.hpp) and isolation from other networks stay Docker's: its rules
// match the bridge as the output device. Pure: unit-tested; firewall/iptables.hpp applies the
// result.

#include <string>
#include <vector>

namespace netvrf {

// One host VRF and what is in it.
struct VrfForward {
  std::string vrf;
  std::vector<std::string> subnets;  // of the container networks whose bridge is in it
  std::vector<std::string> uplinks;  // its other members (uplinks, containers' host legs)
  bool operator==(const VrfForward&) const = default;
};

// The rules of chain NETVRF-FORWARD for IPv4 (`ipv6` false) or IPv6, as iptables arguments after
// the chain ("-i blue -s 203.0.113.64/28 -o up0 -j ACCEPT"), in a stable order; subnets of the
// other family are left out. Empty: nothing to let through.
std::vector<std::string> forwardRules(const std::vector<VrfForward>& vrfs, bool ipv6);

}  // namespace netvrf
