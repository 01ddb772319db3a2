#include "netlink/route.hpp"

#include <linux/rtnetlink.h>
#include <netlink/errno.h>
#include <netlink/route/nexthop.h>

#include <algorithm>
#include <system_error>
#include <thread>

#include "netlink/link.hpp"
#include "netlink/nl_error.hpp"
#include "netlink/vrf.hpp"

namespace netvrf {
namespace {

bool hasGateway(rtnl_route* route) {
  for (int i = 0; i < rtnl_route_get_nnexthops(route); ++i)
    if (rtnl_route_nh_get_gateway(rtnl_route_nexthop_n(route, i))) return true;
  return false;
}

RoutePtr copyInTable(rtnl_route* route, uint32_t table) {
  RoutePtr copy(reinterpret_cast<rtnl_route*>(nl_object_clone(OBJ_CAST(route))));
  rtnl_route_set_table(copy.get(), table);
  return copy;
}

}  // namespace

std::string RouteSnapshot::describe(rtnl_route* route) const {
  char buf[128];
  nl_addr* dst = rtnl_route_get_dst(route);
  std::string s =
      !dst || nl_addr_get_prefixlen(dst) == 0 ? "default" : nl_addr2str(dst, buf, sizeof buf);
  bool multipath = rtnl_route_get_nnexthops(route) > 1;
  for (int i = 0; i < rtnl_route_get_nnexthops(route); ++i) {
    rtnl_nexthop* nh = rtnl_route_nexthop_n(route, i);
    if (multipath) s += " nexthop";
    if (nl_addr* gw = rtnl_route_nh_get_gateway(nh))
      s += std::string(" via ") + nl_addr2str(gw, buf, sizeof buf);
    auto name = names_.find(rtnl_route_nh_get_ifindex(nh));
    s += " dev " +
         (name != names_.end() ? name->second : std::to_string(rtnl_route_nh_get_ifindex(nh)));
  }
  return s;
}

RouteSnapshot RouteSnapshot::take(nl_sock* sock, uint32_t table,
                                  const std::map<int, std::string>& links) {
  RouteSnapshot snap;
  snap.names_ = links;
  nl_cache* raw = nullptr;
  checkNl(rtnl_route_alloc_cache(sock, AF_UNSPEC, 0, &raw), "list routes");
  NlCache cache(raw);
  for (nl_object* o = nl_cache_get_first(cache.get()); o; o = nl_cache_get_next(o)) {
    auto* route = reinterpret_cast<rtnl_route*>(o);
    int family = rtnl_route_get_family(route);
    if ((family != AF_INET && family != AF_INET6) || rtnl_route_get_table(route) != table ||
        rtnl_route_get_protocol(route) == RTPROT_KERNEL || rtnl_route_get_nnexthops(route) == 0)
      continue;
    int inside = 0;
    int n = rtnl_route_get_nnexthops(route);
    for (int i = 0; i < n; ++i)
      inside += links.count(rtnl_route_nh_get_ifindex(rtnl_route_nexthop_n(route, i))) ? 1 : 0;
    if (inside == 0) continue;
    if (inside < n) {
      for (int i = 0; i < n; ++i) {
        int ifindex = rtnl_route_nh_get_ifindex(rtnl_route_nexthop_n(route, i));
        if (auto l = findLink(sock, ifindex)) snap.names_.emplace(ifindex, l->name);
      }
      throw VrfError("route " + snap.describe(route) +
                     " also leaves through other interfaces; name all its interfaces");
    }
    snap.routes_.emplace_back(reinterpret_cast<rtnl_route*>(nl_object_clone(o)));
  }
  std::stable_partition(snap.routes_.begin(), snap.routes_.end(),
                        [](const RoutePtr& r) { return !hasGateway(r.get()); });
  return snap;
}

void RouteSnapshot::addTo(nl_sock* sock, uint32_t table,
                          std::chrono::steady_clock::time_point deadline) const {
  for (const auto& route : routes_) {
    RoutePtr copy = copyInTable(route.get(), table);
    for (;;) {
      int r = rtnl_route_add(sock, copy.get(), NLM_F_CREATE | NLM_F_EXCL);
      if (r == 0 || r == -NLE_EXIST) break;
      if (std::chrono::steady_clock::now() >= deadline)
        checkNl(r, "add route " + describe(route.get()) + " to table " + std::to_string(table));
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
  }
}

void RouteSnapshot::removeFrom(nl_sock* sock, uint32_t table) const {
  for (const auto& route : routes_) {
    int r = rtnl_route_delete(sock, copyInTable(route.get(), table).get(), 0);
    if (r == -NLE_OBJ_NOTFOUND || r == -NLE_NOADDR) continue;
    checkNl(r, "delete route " + describe(route.get()) + " from table " + std::to_string(table));
  }
}

}  // namespace netvrf
