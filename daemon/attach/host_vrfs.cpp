#include "attach/host_vrfs.hpp"

#include <linux/rtnetlink.h>
#include <netlink/route/addr.h>

#include <algorithm>
#include <map>

#include "attach/inside.hpp"
#include "attach/interface_move.hpp"
#include "attach/steps.hpp"
#include "netlink/address.hpp"
#include "netlink/link.hpp"
#include "netlink/vrf.hpp"

namespace netvrf {

std::vector<HostVrf> listHostVrfs(nl_sock* sock) {
  std::vector<LinkInfo> links = listLinks(sock);
  std::vector<HostVrf> out;
  std::vector<VrfInfo> vrfs = Vrfs(sock).list();
  std::map<int, std::string> members;
  for (const auto& l : links)
    if (std::any_of(vrfs.begin(), vrfs.end(),
                    [&](const VrfInfo& v) { return l.master == v.ifindex; }))
      members[l.ifindex] = l.name;
  AddressSnapshot addresses;
  if (!members.empty()) addresses = AddressSnapshot::take(sock, members);
  for (const VrfInfo& v : vrfs) {
    HostVrf h{v.name, v.table, {}, false, {}};
    for (const auto& l : links) {
      if (l.ifindex == v.ifindex) h.owned = l.alias == kOwnedAlias;
      if (l.master != v.ifindex) continue;
      h.interfaces.push_back(l.name);
      for (const auto& a : addresses.addresses()) {
        if (rtnl_addr_get_ifindex(a.get()) != l.ifindex) continue;
        std::string text = addrText(rtnl_addr_get_local(a.get()));
        h.addresses.push_back(text.substr(0, text.find('/')));
      }
    }
    out.push_back(std::move(h));
  }
  return out;
}

HostVrf addHostVrf(nl_sock* sock, const std::string& name, uint64_t table) {
  Vrfs vrfs(sock);
  bool existed = vrfs.find(name).has_value();
  VrfInfo v = vrfs.create(name, table);
  if (!existed) setAlias(sock, v.ifindex, kOwnedAlias);
  for (auto& h : listHostVrfs(sock))
    if (h.name == name) return h;
  throw VrfError("VRF " + name + " vanished right after it was created", VrfError::Kind::Failed);
}

void deleteHostVrf(nl_sock* sock, const std::string& name) {
  for (const auto& h : listHostVrfs(sock)) {
    if (h.name != name) continue;
    if (!h.interfaces.empty()) {
      std::string ifs;
      for (const auto& i : h.interfaces) ifs += (ifs.empty() ? "" : ", ") + i;
      throw VrfError("VRF " + name + " still has interfaces (" + ifs + "); detach them first",
                     VrfError::Kind::InUse);
    }
    Vrfs vrfs(sock);
    vrfs.remove(name);
    if (vrfs.list().empty()) vrfs.removeL3mdevRules();
    return;
  }
  if (auto l = findLink(sock, name))
    throw VrfError(name + " is not a VRF (it is a " + (l->kind.empty() ? "device" : l->kind) + ")",
                   VrfError::Kind::Invalid);
  throw VrfError("no VRF " + name, VrfError::Kind::NotFound);
}

bool releaseFromHostVrf(nl_sock* sock, const std::string& vrf, const std::string& ifname) {
  auto v = Vrfs(sock).find(vrf);
  auto link = findLink(sock, ifname);
  if (!v || !link || link->master != v->ifindex) return false;
  InterfaceMove move(sock, {{link->ifindex, *link}}, v->table);
  Steps steps({});
  try {
    steps.run(
        "move " + ifname + " out of VRF " + vrf, [&] { move.apply(0, "", RT_TABLE_MAIN); },
        [&] { move.revert(); });
  } catch (const std::exception& e) {
    steps.rollback();
    throw VrfError("detach " + ifname + " from VRF " + vrf + ": " + failureMessage(steps, e),
                   failureKind(e));
  }
  deleteVrfIfUnused(sock, vrf);
  return true;
}

}  // namespace netvrf
