#pragma once

#include <netlink/socket.h>

#include <map>
#include <string>
#include <vector>

#include "netlink/nl_handle.hpp"

namespace netvrf {

// The IPv4 and IPv6 addresses of a set of interfaces, as the kernel listed them. IPv6
// link-local addresses are left out: the kernel makes them again whenever a link comes up.
// An address with its prefix ("203.0.113.10/24", "2001:db8::10/64"). Throws VrfError naming it
// when it is not one.
NlAddr parseCidr(const std::string& text);
// `ip` form of an address without its prefix ("203.0.113.1").
NlAddr parseIp(const std::string& text);
// Adds `local` to `ifindex`; already there counts as added. IPv6 addresses skip duplicate
// address detection: they go on veth ends whose only peer netvrf made.
void addAddress(nl_sock* sock, int ifindex, nl_addr* local);
std::string addrText(nl_addr* addr);

class AddressSnapshot {
 public:
  // `links`: ifindex -> name of the interfaces to take.
  static AddressSnapshot take(nl_sock* sock, const std::map<int, std::string>& links);

  // Adds back every address of the snapshot that is no longer there; returns how many.
  int restoreMissing(nl_sock* sock) const;
  // True when every address is there and none is still tentative (IPv6 duplicate address
  // detection running), which is when the kernel has made its local and prefix routes. On a
  // link without carrier a tentative address counts as settled: detection waits for the
  // carrier.
  bool allSettled(nl_sock* sock) const;
  // The addresses not yet settled, for an error message ("203.0.113.5/24 on eth0").
  std::vector<std::string> unsettled(nl_sock* sock) const;

  const std::vector<AddrPtr>& addresses() const { return addrs_; }

 private:
  std::string describe(rtnl_addr* addr) const;

  std::vector<AddrPtr> addrs_;
  std::map<int, std::string> names_;
};

}  // namespace netvrf
