#pragma once

#include <netlink/socket.h>

#include <chrono>
#include <map>
#include <string>

#include "netlink/address.hpp"
#include "netlink/link.hpp"
#include "netlink/route.hpp"

namespace netvrf {

// How long the kernel gets to give back addresses and host routes after a link was cycled
// (IPv6 duplicate address detection takes about a second; the CNI vrf plugin waits 2.5 s).
inline constexpr std::chrono::seconds kSettleTimeout{5};

// Moves interfaces from one L3 domain to another (into a VRF: master 0 -> VRF, main table ->
// VRF table; out of one: the reverse) without losing addresses or routes. The kernel cycles
// each link when its master changes, which drops routes through it and may drop IPv6
// addresses; the snapshots taken at construction bring them back.
class InterfaceMove {
 public:
  // `links`: the interfaces, as they are now (all with the same master). Throws VrfError for a
  // route that cannot move (see RouteSnapshot::take); nothing is changed then.
  InterfaceMove(nl_sock* sock, std::map<int, LinkInfo> links, uint32_t fromTable);

  // Sets `master` on each interface, restores addresses, waits for them to settle and copies the
  // routes into `toTable`. Returns the number of routes moved.
  size_t apply(int master, const std::string& masterName, uint32_t toTable);
  // Puts everything back where it was before apply() (also after a partial apply()).
  void revert();

 private:
  void settle(std::chrono::steady_clock::time_point deadline);

  nl_sock* sock_;
  std::map<int, LinkInfo> links_;
  uint32_t fromTable_;
  uint32_t toTable_ = 0;
  AddressSnapshot addrs_;
  RouteSnapshot routes_;
};

}  // namespace netvrf
