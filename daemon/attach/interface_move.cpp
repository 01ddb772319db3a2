#include "attach/interface_move.hpp"

#include <thread>

#include "netlink/sysctl.hpp"
#include "netlink/vrf.hpp"

namespace netvrf {
namespace {

std::map<int, std::string> namesOf(const std::map<int, LinkInfo>& links) {
  std::map<int, std::string> names;
  for (const auto& [ifindex, link] : links) names[ifindex] = link.name;
  return names;
}

std::string joined(const std::vector<std::string>& parts) {
  std::string s;
  for (const auto& p : parts) s += (s.empty() ? "" : ", ") + p;
  return s;
}

}  // namespace

InterfaceMove::InterfaceMove(nl_sock* sock, std::map<int, LinkInfo> links, uint32_t fromTable)
    : sock_(sock),
      links_(std::move(links)),
      fromTable_(fromTable),
      addrs_(AddressSnapshot::take(sock, namesOf(links_))),
      routes_(RouteSnapshot::take(sock, fromTable, namesOf(links_))) {}

void InterfaceMove::settle(std::chrono::steady_clock::time_point deadline) {
  addrs_.restoreMissing(sock_);
  while (!addrs_.allSettled(sock_)) {
    if (std::chrono::steady_clock::now() >= deadline)
      throw VrfError("addresses did not come back within " +
                     std::to_string(kSettleTimeout.count()) +
                     " s: " + joined(addrs_.unsettled(sock_)));
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    addrs_.restoreMissing(sock_);
  }
}

size_t InterfaceMove::apply(int master, const std::string& masterName, uint32_t toTable) {
  toTable_ = toTable;
  auto deadline = std::chrono::steady_clock::now() + kSettleTimeout;
  for (auto& [ifindex, link] : links_) {
    // Keeps IPv6 addresses over the down/up the kernel does on a master change. Left set: it is
    // what an operator wants on an interface in a VRF, and detach needs it too.
    std::string key = "net/ipv6/conf/" + link.name + "/keep_addr_on_down";
    if (readSysctl(key).value_or("1") != "1") writeSysctl(key, "1");
    setMaster(sock_, link, master, masterName);
  }
  settle(deadline);
  routes_.addTo(sock_, toTable, deadline);
  // The kernel drops most of them on the down/up, not always all; a copy left behind would
  // keep the route in both domains.
  routes_.removeFrom(sock_, fromTable_);
  return routes_.size();
}

void InterfaceMove::revert() {
  auto deadline = std::chrono::steady_clock::now() + kSettleTimeout;
  for (auto& [ifindex, link] : links_) {
    auto now = findLink(sock_, ifindex);
    if (now && now->master != link.master) setMaster(sock_, *now, link.master, "its old master");
  }
  settle(deadline);
  routes_.addTo(sock_, fromTable_, deadline);
  if (toTable_) routes_.removeFrom(sock_, toTable_);
}

}  // namespace netvrf
