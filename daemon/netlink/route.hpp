#pragma once

#include <netlink/socket.h>

#include <chrono>
#include <map>
#include <string>
#include <vector>

#include "netlink/nl_handle.hpp"

namespace netvrf {

// The routes of one table that leave through a set of interfaces and that the kernel would not
// make again by itself: gateways, defaults, multipath routes, routes without a connected prefix
// (everything but protocol "kernel"). Enslaving an interface to a VRF, or releasing it, drops
// them; a snapshot taken before is how they get back, into the new table.
class RouteSnapshot {
 public:
  // `links`: ifindex -> name. Throws VrfError (nothing changed) for a multipath route with
  // nexthops both through `links` and through other interfaces: it cannot move as a whole.
  static RouteSnapshot take(nl_sock* sock, uint32_t table, const std::map<int, std::string>& links);

  // Adds every route to `table` (routes without a gateway first, so gateways are reachable),
  // retrying until `deadline` while the kernel has not yet made the prefix routes a gateway
  // needs. Routes already there count as added. Throws naming the route that failed.
  void addTo(nl_sock* sock, uint32_t table, std::chrono::steady_clock::time_point deadline) const;
  // Deletes the copies in `table` that are still there.
  void removeFrom(nl_sock* sock, uint32_t table) const;

  bool empty() const { return routes_.empty(); }
  size_t size() const { return routes_.size(); }
  std::string describe(rtnl_route* route) const;

 private:
  std::vector<RoutePtr> routes_;
  std::map<int, std::string> names_;
};

}  // namespace netvrf
