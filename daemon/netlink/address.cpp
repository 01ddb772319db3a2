#include "netlink/address.hpp"

#include <arpa/inet.h>
#include <linux/if_addr.h>
#include <netlink/errno.h>
#include <netlink/route/addr.h>

#include <algorithm>

#include "netlink/link.hpp"
#include "netlink/nl_error.hpp"
#include "netlink/vrf.hpp"
#include "netns/name.hpp"

namespace netvrf {
namespace {

NlCache addressCache(nl_sock* sock) {
  nl_cache* raw = nullptr;
  checkNl(rtnl_addr_alloc_cache(sock, &raw), "list addresses");
  return NlCache(raw);
}

bool sameAddress(rtnl_addr* a, rtnl_addr* b) {
  return rtnl_addr_get_ifindex(a) == rtnl_addr_get_ifindex(b) &&
         rtnl_addr_get_family(a) == rtnl_addr_get_family(b) &&
         rtnl_addr_get_prefixlen(a) == rtnl_addr_get_prefixlen(b) &&
         nl_addr_cmp(rtnl_addr_get_local(a), rtnl_addr_get_local(b)) == 0;
}

// The kernel's current copy of `want`, or null.
rtnl_addr* current(nl_cache* cache, rtnl_addr* want) {
  for (nl_object* o = nl_cache_get_first(cache); o; o = nl_cache_get_next(o)) {
    auto* a = reinterpret_cast<rtnl_addr*>(o);
    if (sameAddress(a, want)) return a;
  }
  return nullptr;
}

// Duplicate address detection starts only once the link has a carrier: an IPv6 address on a
// bridge without ports up (a Docker network without containers yet) stays tentative until then,
// its prefix route made already. Waiting for it would never end.
bool hasCarrier(nl_sock* sock, rtnl_addr* addr) {
  auto link = findLink(sock, rtnl_addr_get_ifindex(addr));
  return link && link->up && link->carrier;
}

}  // namespace

namespace {

// What `ip address` takes: inet_pton()'s forms and a decimal prefix length. nl_addr_parse()
// alone takes more: "default", a prefix in octal or hex ("/024" is 20), trailing blanks.
bool isPlainAddress(const std::string& text, bool withPrefix) {
  auto slash = text.find('/');
  if ((slash != std::string::npos) != withPrefix) return false;
  std::string addr = text.substr(0, slash);
  int family = addr.find(':') != std::string::npos ? AF_INET6 : AF_INET;
  unsigned char buf[sizeof(in6_addr)];
  if (inet_pton(family, addr.c_str(), buf) != 1) return false;
  if (!withPrefix) return true;
  std::string len = text.substr(slash + 1);
  if (len.empty() || len.size() > 3 || (len.size() > 1 && len[0] == '0') ||
      !std::all_of(len.begin(), len.end(), [](char c) { return c >= '0' && c <= '9'; }))
    return false;
  return std::stoi(len) <= (family == AF_INET ? 32 : 128);
}

NlAddr parseAddress(const std::string& text, bool withPrefix) {
  nl_addr* raw = nullptr;
  if (!isPlainAddress(text, withPrefix) || nl_addr_parse(text.c_str(), AF_UNSPEC, &raw) < 0)
    throw VrfError(
        "'" + printableName(text) + "' is not " +
        (withPrefix ? "an address with a prefix length (203.0.113.10/24)" : "an IP address"));
  NlAddr addr(raw);
  int family = nl_addr_get_family(addr.get());
  if (family != AF_INET && family != AF_INET6)
    throw VrfError("'" + text + "' is not an IPv4 or IPv6 address");
  return addr;
}

}  // namespace

NlAddr parseCidr(const std::string& text) {
  return parseAddress(text, true);
}

NlAddr parseIp(const std::string& text) {
  return parseAddress(text, false);
}

std::string addrText(nl_addr* addr) {
  char buf[128];
  return nl_addr2str(addr, buf, sizeof buf);
}

void addAddress(nl_sock* sock, int ifindex, nl_addr* local) {
  AddrPtr a(rtnl_addr_alloc());
  rtnl_addr_set_ifindex(a.get(), ifindex);
  checkNl(rtnl_addr_set_local(a.get(), local), "address " + addrText(local));
  if (nl_addr_get_family(local) == AF_INET6) rtnl_addr_set_flags(a.get(), IFA_F_NODAD);
  int r = rtnl_addr_add(sock, a.get(), NLM_F_CREATE | NLM_F_EXCL);
  if (r == -NLE_EXIST) return;
  checkNl(r, "add address " + addrText(local));
}

std::string AddressSnapshot::describe(rtnl_addr* addr) const {
  char buf[128];
  std::string s = nl_addr2str(rtnl_addr_get_local(addr), buf, sizeof buf);
  if (s.find('/') == std::string::npos) s += "/" + std::to_string(rtnl_addr_get_prefixlen(addr));
  auto name = names_.find(rtnl_addr_get_ifindex(addr));
  return s + " on " +
         (name != names_.end() ? name->second
                               : "interface " + std::to_string(rtnl_addr_get_ifindex(addr)));
}

AddressSnapshot AddressSnapshot::take(nl_sock* sock, const std::map<int, std::string>& links) {
  AddressSnapshot snap;
  snap.names_ = links;
  NlCache cache = addressCache(sock);
  for (nl_object* o = nl_cache_get_first(cache.get()); o; o = nl_cache_get_next(o)) {
    auto* a = reinterpret_cast<rtnl_addr*>(o);
    if (!links.count(rtnl_addr_get_ifindex(a))) continue;
    int family = rtnl_addr_get_family(a);
    if (family != AF_INET && family != AF_INET6) continue;
    if (family == AF_INET6 && rtnl_addr_get_scope(a) == RT_SCOPE_LINK) continue;
    snap.addrs_.emplace_back(reinterpret_cast<rtnl_addr*>(nl_object_clone(o)));
  }
  return snap;
}

int AddressSnapshot::restoreMissing(nl_sock* sock) const {
  NlCache cache = addressCache(sock);
  int added = 0;
  for (const auto& a : addrs_) {
    if (current(cache.get(), a.get())) continue;
    AddrPtr copy(reinterpret_cast<rtnl_addr*>(nl_object_clone(OBJ_CAST(a.get()))));
    int r = rtnl_addr_add(sock, copy.get(), NLM_F_CREATE);
    if (r == -NLE_EXIST) continue;
    checkNl(r, "add address " + describe(a.get()));
    ++added;
  }
  return added;
}

bool AddressSnapshot::allSettled(nl_sock* sock) const {
  return unsettled(sock).empty();
}

std::vector<std::string> AddressSnapshot::unsettled(nl_sock* sock) const {
  NlCache cache = addressCache(sock);
  std::vector<std::string> out;
  for (const auto& a : addrs_) {
    rtnl_addr* now = current(cache.get(), a.get());
    if (!now)
      out.push_back(describe(a.get()) + " (missing)");
    else if (rtnl_addr_get_flags(now) & IFA_F_DADFAILED)
      out.push_back(describe(a.get()) + " (duplicate address detection failed)");
    else if ((rtnl_addr_get_flags(now) & IFA_F_TENTATIVE) && hasCarrier(sock, a.get()))
      out.push_back(describe(a.get()) + " (tentative)");
  }
  return out;
}

}  // namespace netvrf
