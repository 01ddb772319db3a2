#include "attach/host_side.hpp"

#include <linux/rtnetlink.h>
#include <netlink/route/nexthop.h>

#include <cstdio>
#include <cstring>
#include <functional>
#include <set>

#include "attach/inside.hpp"
#include "netlink/address.hpp"
#include "netlink/in_netns.hpp"
#include "netlink/link.hpp"
#include "netlink/nl_error.hpp"
#include "netlink/nl_handle.hpp"
#include "netlink/sysctl.hpp"
#include "netlink/veth.hpp"

namespace netvrf {
namespace {

struct Gateway {
  NlAddr addr;
  NlAddr hostEnd;  // the gateway with the prefix of the address it belongs to
};

// Checks every address and gateway before anything changes.
std::vector<Gateway> checkAddresses(const HostSideRequest& req, std::vector<NlAddr>& addrs) {
  if (req.addresses.empty()) throw VrfError("no address given for the container end");
  for (const auto& text : req.addresses) addrs.push_back(parseCidr(text));
  std::vector<Gateway> gateways;
  std::set<int> families;
  for (const auto& text : req.gateways) {
    Gateway g{parseIp(text), nullptr};
    int family = nl_addr_get_family(g.addr.get());
    if (!families.insert(family).second)
      throw VrfError("more than one " + std::string(family == AF_INET ? "IPv4" : "IPv6") +
                     " gateway");
    for (const auto& a : addrs) {
      if (nl_addr_get_family(a.get()) != family) continue;
      bool same = nl_addr_get_len(a.get()) == nl_addr_get_len(g.addr.get()) &&
                  memcmp(nl_addr_get_binary_addr(a.get()), nl_addr_get_binary_addr(g.addr.get()),
                         nl_addr_get_len(a.get())) == 0;
      if (!same && nl_addr_cmp_prefix(a.get(), g.addr.get()) == 0) {
        g.hostEnd.reset(nl_addr_clone(g.addr.get()));
        nl_addr_set_prefixlen(g.hostEnd.get(), nl_addr_get_prefixlen(a.get()));
      }
    }
    if (!g.hostEnd)
      throw VrfError("gateway " + text + " is in the prefix of none of the addresses given");
    gateways.push_back(std::move(g));
  }
  return gateways;
}

bool hasDefaultRoute(nl_sock* sock, int family) {
  nl_cache* raw = nullptr;
  checkNl(rtnl_route_alloc_cache(sock, family, 0, &raw), "list routes");
  NlCache cache(raw);
  for (nl_object* o = nl_cache_get_first(cache.get()); o; o = nl_cache_get_next(o)) {
    auto* r = reinterpret_cast<rtnl_route*>(o);
    nl_addr* dst = rtnl_route_get_dst(r);
    if (rtnl_route_get_family(r) == family && rtnl_route_get_table(r) == RT_TABLE_MAIN &&
        (!dst || nl_addr_get_prefixlen(dst) == 0))
      return true;
  }
  return false;
}

RoutePtr defaultVia(nl_addr* gateway, int ifindex) {
  RoutePtr route(rtnl_route_alloc());
  int family = nl_addr_get_family(gateway);
  NlAddr dst(nl_addr_build(family, nullptr, 0));
  nl_addr_set_prefixlen(dst.get(), 0);
  rtnl_route_set_family(route.get(), uint8_t(family));
  rtnl_route_set_table(route.get(), RT_TABLE_MAIN);
  rtnl_route_set_dst(route.get(), dst.get());
  rtnl_route_set_scope(route.get(), RT_SCOPE_UNIVERSE);
  rtnl_nexthop* nh = rtnl_route_nh_alloc();
  rtnl_route_nh_set_ifindex(nh, ifindex);
  rtnl_route_nh_set_gateway(nh, gateway);
  rtnl_route_add_nexthop(route.get(), nh);  // the route owns it now
  return route;
}

}  // namespace

std::optional<std::string> hostSideAddressError(const HostSideRequest& req) {
  try {
    std::vector<NlAddr> addrs;
    checkAddresses(req, addrs);
  } catch (const VrfError& e) {
    return e.what();
  }
  return std::nullopt;
}

std::string defaultContainerIfname(const std::string& vrf) {
  return ("nv-" + vrf).substr(0, 15);
}

std::string defaultHostIfname(const std::string& containerId, const std::string& vrf) {
  char hash[5];
  std::snprintf(hash, sizeof hash, "%04zx", std::hash<std::string>{}(vrf)&0xffff);
  return "nv" + containerId.substr(0, 8) + hash;
}

HostSideResult attachHostSide(nl_sock* host, int containerNetns, const HostSideRequest& req,
                              const StepHook& hook) {
  for (const auto* name : {&req.vrf, &req.hostIfname, &req.containerIfname})
    if (auto e = ifnameError(*name)) throw VrfError("'" + *name + "': " + *e);
  std::vector<NlAddr> addrs;
  std::vector<Gateway> gateways = checkAddresses(req, addrs);

  Vrfs vrfs(host);
  auto [existing, table] = vrfs.plan(req.vrf, req.table);

  NlSocket inside = runInNetns(containerNetns, [] { return connectRoute(); });
  auto hostEnd = findLink(host, req.hostIfname);
  auto containerEnd = findLink(inside.get(), req.containerIfname);
  bool pair = hostEnd && containerEnd && hostEnd->kind == "veth" && containerEnd->kind == "veth" &&
              hostEnd->peer == containerEnd->ifindex && containerEnd->peer == hostEnd->ifindex;
  if (containerEnd && !pair)
    throw VrfError("the container has an interface " + req.containerIfname + " already");
  if (hostEnd && !pair)
    throw VrfError("interface " + req.hostIfname + " exists on the host and is not this pair");

  HostSideResult result;
  result.hostIfname = req.hostIfname;
  result.created = !hostEnd;
  Steps steps(hook);
  try {
    if (existing) {
      steps.run("complete VRF " + req.vrf + " on the host",
                [&] { result.vrf = vrfs.create(req.vrf, table); });
    } else {
      steps.run(
          "create VRF " + req.vrf + " (table " + std::to_string(table) + ") on the host",
          [&] {
            result.vrf = vrfs.create(req.vrf, table);
            result.vrfCreated = true;
            setAlias(host, result.vrf.ifindex, kOwnedAlias);
          },
          [&] {
            vrfs.remove(req.vrf);
            if (vrfs.list().empty()) vrfs.removeL3mdevRules();
          });
    }
    if (!hostEnd)
      steps.run(
          "create veth pair " + req.hostIfname + " (host) / " + req.containerIfname +
              " (container)",
          [&] { createVethPair(host, req.hostIfname, req.containerIfname, containerNetns); },
          [&] { deleteLink(host, req.hostIfname); });
    steps.run("enslave " + req.hostIfname + " to VRF " + req.vrf + " with the gateways", [&] {
      auto h = *findLink(host, req.hostIfname);
      setMaster(host, h, result.vrf.ifindex, req.vrf);
      for (const auto& g : gateways) addAddress(host, h.ifindex, g.hostEnd.get());
      setUp(host, *findLink(host, req.hostIfname));
    });
    steps.run("give " + req.containerIfname + " its addresses in the container", [&] {
      auto c = *findLink(inside.get(), req.containerIfname);
      bool v6 = false;
      for (const auto& a : addrs) v6 |= nl_addr_get_family(a.get()) == AF_INET6;
      if (v6) {
        // Docker disables IPv6 in containers without it (all/default disable_ipv6=1); an IPv6
        // address asked for on this leg enables it there, on this interface only.
        std::string key = "net/ipv6/conf/" + req.containerIfname + "/disable_ipv6";
        runInNetns(containerNetns, [&] {
          if (readSysctl(key).value_or("0") != "0") writeSysctl(key, "0");
        });
      }
      for (const auto& a : addrs) addAddress(inside.get(), c.ifindex, a.get());
      setUp(inside.get(), c);
      for (const auto& g : gateways) {
        int family = nl_addr_get_family(g.addr.get());
        if (hasDefaultRoute(inside.get(), family)) continue;
        checkNl(rtnl_route_add(inside.get(), defaultVia(g.addr.get(), c.ifindex).get(),
                               NLM_F_CREATE | NLM_F_EXCL),
                "add default route via " + addrText(g.addr.get()));
        result.defaultRoutes.push_back("default via " + addrText(g.addr.get()));
      }
    });
  } catch (const std::exception& e) {
    steps.rollback();
    throw VrfError("attach to host VRF " + req.vrf + ": " + failureMessage(steps, e),
                   failureKind(e));
  }
  return result;
}

bool detachHostSide(nl_sock* host, const std::string& hostIfname, const std::string& vrf) {
  auto link = findLink(host, hostIfname);
  if (!link) return false;
  if (link->kind != "veth")
    throw VrfError("interface " + hostIfname + " is not a veth netvrf made; left alone");
  deleteLink(host, hostIfname);
  deleteVrfIfUnused(host, vrf);
  return true;
}

}  // namespace netvrf
