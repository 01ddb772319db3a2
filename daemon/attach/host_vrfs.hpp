#pragma once

#include <netlink/socket.h>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace netvrf {

// A VRF device as `netvrfctl vrf list` and the bus's VRF objects show it.
struct HostVrf {
  std::string name;
  uint32_t table = 0;
  std::vector<std::string> interfaces;  // enslaved to it, by name
  bool owned = false;                   // netvrf created it (alias "netvrf")
  // Its members' addresses, without prefix, IPv6 link-local ones left out: where a published
  // port of a container on a network in it answers (firewall/port_rules.hpp).
  std::vector<std::string> addresses;
  bool operator==(const HostVrf&) const = default;
};

// Every VRF in the namespace `sock` is bound to, by name, with its ports.
std::vector<HostVrf> listHostVrfs(nl_sock* sock);

// `netvrfctl vrf add`: VRF `name` with `table` (see Vrfs::create), marked as netvrf's when this
// call created it. Idempotent. Throws VrfError.
HostVrf addHostVrf(nl_sock* sock, const std::string& name, uint64_t table);

// `netvrfctl vrf del`: deletes VRF `name`, and the l3mdev rules with the namespace's last VRF.
// Refuses (VrfError NotFound, InUse) a VRF that does not exist or still has interfaces: deleting
// it would silently drop their routes.
void deleteHostVrf(nl_sock* sock, const std::string& name);

// A Docker network detached by hand: releases `ifname` (its bridge) from VRF `vrf` with its
// addresses and routes back in the main table, and deletes the VRF if netvrf created it and it
// is empty now. Touches no rule or sysctl (the namespace is the host's). False when `ifname` was
// not in `vrf`. Throws VrfError (rolled back).
bool releaseFromHostVrf(nl_sock* sock, const std::string& vrf, const std::string& ifname);

}  // namespace netvrf
