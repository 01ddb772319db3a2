#pragma once

#include <netlink/socket.h>

#include <optional>
#include <string>
#include <vector>

namespace netvrf {

// What attach and detach need to know of an interface.
struct LinkInfo {
  std::string name;
  int ifindex = 0;
  int master = 0;    // ifindex of the VRF or bridge it is enslaved to; 0 when none
  int peer = 0;      // IFLA_LINK: a veth's peer ifindex (in the peer's namespace)
  std::string kind;  // "vrf", "veth", "bridge"...; empty for physical devices and loopback
  std::string alias;
  std::string mac;  // "02:42:cb:00:71:02"; empty for devices without one
  bool loopback = false;
  bool up = false;
  bool carrier = false;  // IFLA_CARRIER: a bridge without ports up has none
};

// The interfaces of the namespace `sock` is bound to.
std::vector<LinkInfo> listLinks(nl_sock* sock);
std::optional<LinkInfo> findLink(nl_sock* sock, const std::string& name);
std::optional<LinkInfo> findLink(nl_sock* sock, int ifindex);

// Enslaves `ifindex` to `master`, or releases it when `master` is 0. Setting the master it
// already has is a no-op.
void setMaster(nl_sock* sock, const LinkInfo& link, int master, const std::string& masterName);
void setAlias(nl_sock* sock, int ifindex, const std::string& alias);
void setUp(nl_sock* sock, const LinkInfo& link);

}  // namespace netvrf
