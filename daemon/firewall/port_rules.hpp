#pragma once

// Published ports of containers whose network is in a host VRF. Docker's DNAT for `-p 8082:80`
// jumps only for `-m addrtype --dst-type LOCAL`, which looks in the main table: the addresses
// of a VRF's uplinks are local in the VRF's table, so a published port never answers there. The
// NAT decision is taken at the first PREROUTING pass, where the input device is the VRF's port
// the packet came in on (the second pass, with the VRF device, is too late). So, per published
// port and per member M of the VRF but the container's own bridge (as Docker leaves its own
// bridge out), in nat PREROUTING:
//   -i M -m addrtype --dst-type LOCAL --limit-iface-in -p tcp --dport 8082
//        -j DNAT --to-destination 203.0.113.66:80
// (--limit-iface-in: local in M's VRF; a packet passing through to another address is left
// alone), and for the host's own processes in the VRF (`ip vrf exec blue`), whose packets to a
// local address of the VRF leave with the VRF device as output device, per address A of the
// VRF in nat OUTPUT (addrtype --limit-iface-out never matches there):
//   -o blue -d A -p tcp --dport 8082 -j DNAT --to-destination 203.0.113.66:80
// A port bound to one host address (`-p 192.0.2.1:8082:80`) answers on that address only, and
// only when the VRF has it. IPv6 the same, to the container's IPv6 address; Docker's bindings
// of 0.0.0.0 and :: are per family. The translated packets are let through FORWARD to the
// container's port, in filter NETVRF-FORWARD:
//   -i blue -o br-a -d 203.0.113.66 -p tcp --dport 80 -m conntrack --ctstate DNAT -j ACCEPT
// Docker's own rules would (they match the bridge as output device), but Podman's (CNI's
// firewall plugin, netavark) let in only replies, and on a host with Docker the FORWARD
// policy is DROP. Replies go out by firewall/forward_rules.hpp, or the runtime's own rules.
// Pure: unit-tested.

#include <cstdint>
#include <string>
#include <vector>

namespace netvrf {

// A host VRF: its members (uplinks, bridges, host legs) and their addresses (no prefix).
struct VrfMembers {
  std::string vrf;
  std::vector<std::string> members;
  std::vector<std::string> addresses;
};

// One published port of a container on a network whose bridge is in host VRF `vrf`.
struct PortForward {
  std::string vrf;
  std::string bridge;  // the network's
  std::string proto;   // "tcp", "udp", "sctp"
  std::string hostIp;  // "" (any), "0.0.0.0", "::" (any of that family) or one address
  uint16_t hostPort = 0;
  std::string to;  // the container's address on that network
  uint16_t port = 0;
  bool operator==(const PortForward&) const = default;
};

struct PortRules {
  std::vector<std::string> prerouting;  // chain NETVRF-PREROUTING (nat)
  std::vector<std::string> output;      // chain NETVRF-OUTPUT (nat)
  std::vector<std::string> forward;     // chain NETVRF-FORWARD (filter)
};

// A port's host address that stands for every address: "" (either family), "0.0.0.0", "::".
bool anyHostAddress(const std::string& hostIp);
bool isIpv6(const std::string& address);

// The addresses among `vrfAddresses` (its VRF's) that `port` answers on: those of the family
// of its container address, or its one host address.
std::vector<std::string> answersOn(const std::vector<std::string>& vrfAddresses,
                                   const PortForward& port);

// The rules for IPv4 (`ipv6` false) or IPv6, in a stable order.
PortRules portRules(const std::vector<VrfMembers>& vrfs, const std::vector<PortForward>& ports,
                    bool ipv6);

}  // namespace netvrf
