#include "attach/inside.hpp"

#include <linux/rtnetlink.h>
#include <strings.h>

#include <algorithm>
#include <map>
#include <memory>

#include "attach/interface_move.hpp"
#include "netlink/link.hpp"
#include "netlink/rule.hpp"
#include "netlink/sysctl.hpp"

namespace netvrf {
namespace {

// Which interfaces an attach takes, checked before anything changes.
std::map<int, LinkInfo> chooseInterfaces(const std::vector<LinkInfo>& links,
                                         const InsideRequest& req, int vrfIfindex) {
  std::map<int, LinkInfo> chosen;
  if (req.interfaces.empty() && req.macs.empty()) {
    for (const auto& l : links)
      if (!l.loopback && l.kind != "vrf" && (l.master == 0 || l.master == vrfIfindex))
        chosen[l.ifindex] = l;
    return chosen;
  }
  auto take = [&](const LinkInfo& link) {
    const std::string& name = link.name;
    if (link.loopback) throw VrfError(name + " is the loopback interface; it cannot be enslaved");
    if (link.kind == "vrf") throw VrfError(name + " is a VRF; it cannot be enslaved");
    if (link.master != 0 && link.master != vrfIfindex) {
      std::string master = std::to_string(link.master);
      for (const auto& l : links)
        if (l.ifindex == link.master) master = l.name;
      throw VrfError(name + " is a port of " + master + "; release it first");
    }
    chosen[link.ifindex] = link;
  };
  for (const auto& name : req.interfaces) {
    if (auto e = ifnameError(name)) throw VrfError(*e);
    auto link =
        std::find_if(links.begin(), links.end(), [&](const LinkInfo& l) { return l.name == name; });
    if (link == links.end()) throw VrfError("no interface " + name + " in this namespace");
    take(*link);
  }
  for (const auto& mac : req.macs) {
    auto link = std::find_if(links.begin(), links.end(), [&](const LinkInfo& l) {
      return strcasecmp(l.mac.c_str(), mac.c_str()) == 0;
    });
    if (link == links.end())
      throw VrfError("no interface with MAC address " + mac + " in this namespace");
    take(*link);
  }
  return chosen;
}

}  // namespace

InsideResult attachInside(nl_sock* sock, const InsideRequest& req, const StepHook& hook) {
  Vrfs vrfs(sock);
  auto [existing, table] = vrfs.plan(req.vrf, req.table);

  std::vector<LinkInfo> links = listLinks(sock);
  std::map<int, LinkInfo> chosen = chooseInterfaces(links, req, existing ? existing->ifindex : -1);
  std::map<int, LinkInfo> toMove;
  for (const auto& [ifindex, l] : chosen)
    if (!existing || l.master != existing->ifindex) toMove[ifindex] = l;

  auto unbound = lookupRuleTable(sock, kUnboundRulePref);
  if (!req.strict && unbound && *unbound != table)
    throw VrfError("unbound sockets in this namespace already use table " +
                       std::to_string(*unbound) + "; attach VRF " + req.vrf + " as strict",
                   VrfError::Kind::TableInUse);

  InterfaceMove move(sock, toMove, RT_TABLE_MAIN);  // may refuse a route: still nothing changed

  InsideResult result;
  std::map<std::string, std::string> acceptBefore;  // undo needs them after their step's scope
  Steps steps(hook);
  try {
    VrfInfo vrf;
    if (existing) {
      steps.run("complete VRF " + req.vrf, [&] { vrf = vrfs.create(req.vrf, table); });
    } else {
      steps.run(
          "create VRF " + req.vrf + " (table " + std::to_string(table) + ")",
          [&] {
            vrf = vrfs.create(req.vrf, table);
            result.vrfCreated = true;
            setAlias(sock, vrf.ifindex, kOwnedAlias);
          },
          [&] {
            vrfs.remove(req.vrf);
            if (vrfs.list().empty()) vrfs.removeL3mdevRules();
          });
    }
    if (!toMove.empty()) {
      std::string names;
      for (const auto& [i, l] : toMove) names += (names.empty() ? "" : ", ") + l.name;
      steps.run(
          "move " + names + " into VRF " + req.vrf,
          [&] { result.routesMoved = move.apply(vrf.ifindex, req.vrf, table); },
          [&] { move.revert(); });
    }
    if (!req.strict) {
      steps.run(
          "accept connections through VRF " + req.vrf + " on unbound sockets",
          [&] {
            // Written only when not so already: attaching again (a netvrfd restart) changes
            // nothing and writes nothing.
            for (const char* key : kAcceptSysctls) {
              acceptBefore[key] = readSysctl(key).value_or("0");
              if (acceptBefore[key] != "1") writeSysctl(key, "1");
            }
          },
          [&] {
            for (const auto& [key, value] : acceptBefore) writeSysctl(key, value);
          });
      steps.run(
          "send lookups of unbound sockets to table " + std::to_string(table),
          [&] { addLookupRule(sock, kUnboundRulePref, table); },
          [&] { deleteLookupRule(sock, kUnboundRulePref, table); });
    }
    result.vrf = vrf;
  } catch (const std::exception& e) {
    steps.rollback();
    throw VrfError("attach to VRF " + req.vrf + ": " + failureMessage(steps, e), failureKind(e));
  }
  for (const auto& [i, l] : chosen) result.interfaces.push_back(l.name);
  return result;
}

InsideDetachResult detachInside(nl_sock* sock, const std::optional<std::string>& vrfName,
                                const StepHook& hook) {
  Vrfs vrfs(sock);
  std::vector<VrfInfo> targets;
  std::vector<LinkInfo> links = listLinks(sock);
  if (vrfName) {
    if (auto e = ifnameError(*vrfName)) throw VrfError("VRF " + *vrfName + ": " + *e);
    if (auto v = vrfs.find(*vrfName)) targets.push_back(*v);
  } else {
    for (const auto& l : links)
      if (l.kind == "vrf" && l.alias == kOwnedAlias) targets.push_back(*vrfs.find(l.name));
  }

  InsideDetachResult result;
  for (const VrfInfo& vrf : targets) {
    std::map<int, LinkInfo> ports;
    bool owned = false;
    for (const auto& l : links) {
      if (l.master == vrf.ifindex) ports[l.ifindex] = l;
      if (l.ifindex == vrf.ifindex) owned = l.alias == kOwnedAlias;
    }
    InterfaceMove move(sock, ports, vrf.table);
    Steps steps(hook);
    try {
      if (!ports.empty())
        steps.run(
            "move the interfaces of VRF " + vrf.name + " back to the main table",
            [&] { move.apply(0, "", RT_TABLE_MAIN); }, [&] { move.revert(); });
      if (lookupRuleTable(sock, kUnboundRulePref) == vrf.table)
        steps.run(
            "stop sending lookups of unbound sockets to table " + std::to_string(vrf.table),
            [&] { deleteLookupRule(sock, kUnboundRulePref, vrf.table); },
            [&] { addLookupRule(sock, kUnboundRulePref, vrf.table); });
      if (owned) steps.run("delete VRF " + vrf.name, [&] { vrfs.remove(vrf.name); });
    } catch (const std::exception& e) {
      steps.rollback();
      throw VrfError("detach from VRF " + vrf.name + ": " + failureMessage(steps, e),
                     failureKind(e));
    }
    result.vrfs.push_back(vrf.name);
    for (const auto& [i, l] : ports) result.interfaces.push_back(l.name);
    if (owned) result.vrfsDeleted.push_back(vrf.name);
  }
  // The accept sysctls and the l3mdev rules matter only with VRFs: once netvrf has deleted the
  // last one, the namespace goes back to the kernel's defaults.
  if (!result.vrfsDeleted.empty() && vrfs.list().empty()) {
    for (const char* key : kAcceptSysctls) writeSysctl(key, "0");
    vrfs.removeL3mdevRules();
  }
  return result;
}

void clearDeletedVrf(nl_sock* sock, uint32_t table, bool container) {
  Vrfs vrfs(sock);
  auto left = vrfs.list();
  for (const auto& v : left)
    if (v.table == table) return;
  vrfs.removeUnreachableDefaults(table);
  if (!container) return;
  if (lookupRuleTable(sock, kUnboundRulePref) == table)
    deleteLookupRule(sock, kUnboundRulePref, table);
  if (left.empty()) {
    for (const char* key : kAcceptSysctls) writeSysctl(key, "0");
    vrfs.removeL3mdevRules();
  }
}

bool deleteVrfIfUnused(nl_sock* sock, const std::string& vrf) {
  std::vector<LinkInfo> links = listLinks(sock);
  const LinkInfo* dev = nullptr;
  for (const auto& l : links)
    if (l.name == vrf && l.kind == "vrf") dev = &l;
  if (!dev || dev->alias != kOwnedAlias) return false;
  for (const auto& l : links)
    if (l.master == dev->ifindex) return false;
  Vrfs vrfs(sock);
  vrfs.remove(vrf);
  if (vrfs.list().empty()) vrfs.removeL3mdevRules();
  return true;
}

}  // namespace netvrf
