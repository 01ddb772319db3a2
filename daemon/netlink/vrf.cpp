#include "netlink/vrf.hpp"

#include <linux/fib_rules.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <netlink/errno.h>
#include <netlink/route/link/vrf.h>

#include "netlink/nl_error.hpp"
#include "netlink/nl_handle.hpp"
#include "netns/name.hpp"

namespace netvrf {
namespace {

VrfInfo infoOf(rtnl_link* link) {
  VrfInfo v;
  v.name = rtnl_link_get_name(link);
  rtnl_link_vrf_get_tableid(link, &v.table);
  v.ifindex = rtnl_link_get_ifindex(link);
  v.up = rtnl_link_get_flags(link) & IFF_UP;
  return v;
}

LinkPtr getLink(nl_sock* sock, const std::string& name) {
  rtnl_link* link = nullptr;
  int r = rtnl_link_get_kernel(sock, 0, name.c_str(), &link);
  if (r == -NLE_NODEV || r == -NLE_OBJ_NOTFOUND) return nullptr;
  checkNl(r, "look up interface " + name);
  return LinkPtr(link);
}

// `unreachable default metric 4278198272 table T`, for adding and for deleting: the kernel
// deletes only a route whose protocol, scope and metric match.
RoutePtr unreachableDefault(int family, uint32_t table) {
  RoutePtr route(rtnl_route_alloc());
  NlAddr dst(nl_addr_build(family, nullptr, 0));
  nl_addr_set_prefixlen(dst.get(), 0);
  rtnl_route_set_family(route.get(), uint8_t(family));
  rtnl_route_set_table(route.get(), table);
  rtnl_route_set_type(route.get(), RTN_UNREACHABLE);
  rtnl_route_set_dst(route.get(), dst.get());
  rtnl_route_set_priority(route.get(), kUnreachableMetric);
  rtnl_route_set_protocol(route.get(), RTPROT_BOOT);     // libnl would say static
  rtnl_route_set_scope(route.get(), RT_SCOPE_UNIVERSE);  // libnl would say link
  return route;
}

RulePtr l3mdevRule(int family) {
  RulePtr rule(rtnl_rule_alloc());
  rtnl_rule_set_family(rule.get(), family);
  rtnl_rule_set_prio(rule.get(), kL3mdevRulePref);
  rtnl_rule_set_l3mdev(rule.get(), 1);
  rtnl_rule_set_action(rule.get(), FR_ACT_TO_TBL);
  return rule;
}

bool hasL3mdevRule(nl_sock* sock, int family) {
  nl_cache* raw = nullptr;
  checkNl(rtnl_rule_alloc_cache(sock, family, &raw), "list rules");
  NlCache cache(raw);
  for (nl_object* o = nl_cache_get_first(cache.get()); o; o = nl_cache_get_next(o)) {
    auto* rule = reinterpret_cast<rtnl_rule*>(o);
    if (rtnl_rule_get_family(rule) == family && rtnl_rule_get_prio(rule) == kL3mdevRulePref &&
        rtnl_rule_get_l3mdev(rule) > 0)
      return true;
  }
  return false;
}

const char* familyName(int family) {
  return family == AF_INET ? "IPv4" : "IPv6";
}

}  // namespace

std::optional<std::string> ifnameError(std::string_view name) {
  if (name.empty()) return "the interface name is empty";
  if (name.size() >= IFNAMSIZ)
    return "the interface name '" + printableName(name) + "' is " + std::to_string(name.size()) +
           " bytes long (at most " + std::to_string(IFNAMSIZ - 1) + ")";
  if (name == "." || name == "..")
    return "the interface name '" + std::string(name) + "' is reserved";
  for (unsigned char ch : name) {
    if (ch == '/' || ch == ':' || ch <= ' ' || ch == 0x7f)
      return "the interface name contains '/', ':', a space or a control character";
  }
  return std::nullopt;
}

std::optional<std::string> tableError(uint64_t table) {
  if (table == 0) return "table 0 is not a table";
  if (table >= 253 && table <= 255)
    return "table " + std::to_string(table) + " is reserved (253 default, 254 main, 255 local)";
  if (table > UINT32_MAX) return "table " + std::to_string(table) + " is out of range";
  return std::nullopt;
}

std::vector<VrfInfo> Vrfs::list() {
  nl_cache* raw = nullptr;
  checkNl(rtnl_link_alloc_cache(sock_, AF_UNSPEC, &raw), "list interfaces");
  NlCache cache(raw);
  std::vector<VrfInfo> out;
  for (nl_object* o = nl_cache_get_first(cache.get()); o; o = nl_cache_get_next(o)) {
    auto* link = reinterpret_cast<rtnl_link*>(o);
    if (rtnl_link_is_vrf(link)) out.push_back(infoOf(link));
  }
  return out;
}

std::optional<VrfInfo> Vrfs::find(const std::string& name) {
  LinkPtr link = getLink(sock_, name);
  if (!link) return std::nullopt;
  if (!rtnl_link_is_vrf(link.get()))
    throw VrfError("interface " + name + " exists and is not a VRF");
  return infoOf(link.get());
}

Vrfs::Plan Vrfs::plan(const std::string& name, std::optional<uint64_t> table) {
  if (auto e = ifnameError(name)) throw VrfError("VRF " + name + ": " + *e);
  if (table)
    if (auto e = tableError(*table)) throw VrfError("VRF " + name + ": " + *e);
  Plan p{find(name), 0};
  if (p.existing && table && p.existing->table != *table)
    throw VrfError("VRF " + name + " exists with table " + std::to_string(p.existing->table) +
                       ", not " + std::to_string(*table),
                   VrfError::Kind::TableInUse);
  if (p.existing) {
    p.table = p.existing->table;
    return p;
  }
  if (!table) throw VrfError("VRF " + name + ": no table given");
  p.table = uint32_t(*table);
  for (const auto& v : list())
    if (v.table == p.table)
      throw VrfError(
          "VRF " + name + ": table " + std::to_string(p.table) + " is in use by VRF " + v.name,
          VrfError::Kind::TableInUse);
  return p;
}

VrfInfo Vrfs::create(const std::string& name, uint64_t table) {
  auto existing = plan(name, table).existing;
  if (!existing) {
    LinkPtr link(rtnl_link_vrf_alloc());
    rtnl_link_set_name(link.get(), name.c_str());
    rtnl_link_set_flags(link.get(), IFF_UP);
    checkNl(rtnl_link_vrf_set_tableid(link.get(), uint32_t(table)), "VRF " + name);
    int r = rtnl_link_add(sock_, link.get(), NLM_F_CREATE | NLM_F_EXCL);
    if (r == -NLE_OPNOTSUPP)
      throw VrfError("VRF " + name + ": this kernel has no VRF support (CONFIG_NET_VRF)",
                     VrfError::Kind::NotSupported);
    checkNl(r, "create VRF " + name);
  }
  try {
    addUnreachableDefaults(uint32_t(table));
    ensureL3mdevRules();
  } catch (...) {
    if (!existing) remove(name);  // all or nothing
    throw;
  }
  return *find(name);
}

void Vrfs::addUnreachableDefaults(uint32_t table) {
  for (int family : {AF_INET, AF_INET6}) {
    int r =
        rtnl_route_add(sock_, unreachableDefault(family, table).get(), NLM_F_CREATE | NLM_F_EXCL);
    if (r == -NLE_EXIST) continue;
    checkNl(r, std::string("add unreachable default (") + familyName(family) + ") to table " +
                   std::to_string(table));
  }
}

// The kernel adds this rule with the first VRF of a namespace, but never again if someone
// deletes it: without it, nothing is looked up in any VRF table.
void Vrfs::ensureL3mdevRules() {
  for (int family : {AF_INET, AF_INET6}) {
    // The kernel's own rule differs from ours in attributes NLM_F_EXCL compares (protocol), so
    // look before adding, or there would be two.
    if (hasL3mdevRule(sock_, family)) continue;
    checkNl(rtnl_rule_add(sock_, l3mdevRule(family).get(), NLM_F_CREATE | NLM_F_EXCL),
            "add the l3mdev rule (pref 1000)");
  }
}

void Vrfs::removeL3mdevRules() {
  for (int family : {AF_INET, AF_INET6}) {
    while (hasL3mdevRule(sock_, family)) {
      int r = rtnl_rule_delete(sock_, l3mdevRule(family).get(), 0);
      if (r == -NLE_OBJ_NOTFOUND) break;
      checkNl(r, "delete the l3mdev rule (pref 1000)");
    }
  }
}

void Vrfs::remove(const std::string& name) {
  auto vrf = find(name);
  if (!vrf) throw VrfError("VRF " + name + " does not exist");
  LinkPtr link(rtnl_link_alloc());
  rtnl_link_set_ifindex(link.get(), vrf->ifindex);
  checkNl(rtnl_link_delete(sock_, link.get()), "delete VRF " + name);
  removeUnreachableDefaults(vrf->table);
}

void Vrfs::removeUnreachableDefaults(uint32_t table) {
  for (int family : {AF_INET, AF_INET6}) {
    int r = rtnl_route_delete(sock_, unreachableDefault(family, table).get(), 0);
    if (r == -NLE_OBJ_NOTFOUND) continue;  // someone removed it already
    checkNl(r, std::string("delete unreachable default (") + familyName(family) + ") from table " +
                   std::to_string(table));
  }
}

}  // namespace netvrf
