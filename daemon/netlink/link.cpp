#include "netlink/link.hpp"

#include <net/if.h>
#include <netlink/errno.h>

#include "netlink/nl_error.hpp"
#include "netlink/nl_handle.hpp"

namespace netvrf {
namespace {

LinkInfo infoOf(rtnl_link* link) {
  LinkInfo l;
  l.name = rtnl_link_get_name(link);
  l.ifindex = rtnl_link_get_ifindex(link);
  l.master = rtnl_link_get_master(link);
  l.peer = rtnl_link_get_link(link);
  if (const char* kind = rtnl_link_get_type(link)) l.kind = kind;
  if (const char* alias = rtnl_link_get_ifalias(link)) l.alias = alias;
  if (nl_addr* mac = rtnl_link_get_addr(link); mac && nl_addr_get_len(mac) == 6) {
    char buf[32];
    l.mac = nl_addr2str(mac, buf, sizeof buf);
  }
  l.loopback = rtnl_link_get_flags(link) & IFF_LOOPBACK;
  l.up = rtnl_link_get_flags(link) & IFF_UP;
  l.carrier = rtnl_link_get_carrier(link) != 0;
  return l;
}

}  // namespace

std::vector<LinkInfo> listLinks(nl_sock* sock) {
  nl_cache* raw = nullptr;
  checkNl(rtnl_link_alloc_cache(sock, AF_UNSPEC, &raw), "list interfaces");
  NlCache cache(raw);
  std::vector<LinkInfo> out;
  for (nl_object* o = nl_cache_get_first(cache.get()); o; o = nl_cache_get_next(o))
    out.push_back(infoOf(reinterpret_cast<rtnl_link*>(o)));
  return out;
}

std::optional<LinkInfo> findLink(nl_sock* sock, const std::string& name) {
  rtnl_link* link = nullptr;
  int r = rtnl_link_get_kernel(sock, 0, name.c_str(), &link);
  if (r == -NLE_NODEV || r == -NLE_OBJ_NOTFOUND) return std::nullopt;
  checkNl(r, "look up interface " + name);
  LinkPtr owned(link);
  return infoOf(link);
}

std::optional<LinkInfo> findLink(nl_sock* sock, int ifindex) {
  rtnl_link* link = nullptr;
  int r = rtnl_link_get_kernel(sock, ifindex, nullptr, &link);
  if (r == -NLE_NODEV || r == -NLE_OBJ_NOTFOUND) return std::nullopt;
  checkNl(r, "look up interface " + std::to_string(ifindex));
  LinkPtr owned(link);
  return infoOf(link);
}

void setMaster(nl_sock* sock, const LinkInfo& link, int master, const std::string& masterName) {
  if (link.master == master) return;
  LinkPtr change(rtnl_link_alloc());
  rtnl_link_set_master(change.get(), master);
  LinkPtr orig(rtnl_link_alloc());
  rtnl_link_set_ifindex(orig.get(), link.ifindex);
  checkNl(rtnl_link_change(sock, orig.get(), change.get(), 0),
          master ? "enslave " + link.name + " to " + masterName : "release " + link.name);
}

void setAlias(nl_sock* sock, int ifindex, const std::string& alias) {
  LinkPtr change(rtnl_link_alloc());
  rtnl_link_set_ifalias(change.get(), alias.c_str());
  LinkPtr orig(rtnl_link_alloc());
  rtnl_link_set_ifindex(orig.get(), ifindex);
  checkNl(rtnl_link_change(sock, orig.get(), change.get(), 0),
          "set the alias of interface " + std::to_string(ifindex));
}

void setUp(nl_sock* sock, const LinkInfo& link) {
  if (link.up) return;
  LinkPtr change(rtnl_link_alloc());
  rtnl_link_set_flags(change.get(), IFF_UP);
  LinkPtr orig(rtnl_link_alloc());
  rtnl_link_set_ifindex(orig.get(), link.ifindex);
  checkNl(rtnl_link_change(sock, orig.get(), change.get(), 0), "set " + link.name + " up");
}

}  // namespace netvrf
