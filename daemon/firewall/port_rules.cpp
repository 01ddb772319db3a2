#include "firewall/port_rules.hpp"

#include <algorithm>

namespace netvrf {

namespace {

void sortUnique(std::vector<std::string>& v) {
  std::sort(v.begin(), v.end());
  v.erase(std::unique(v.begin(), v.end()), v.end());
}

}  // namespace

bool anyHostAddress(const std::string& hostIp) {
  return hostIp.empty() || hostIp == "0.0.0.0" || hostIp == "::";
}

bool isIpv6(const std::string& address) {
  return address.find(':') != std::string::npos;
}

std::vector<std::string> answersOn(const std::vector<std::string>& vrfAddresses,
                                   const PortForward& p) {
  bool anyAddress = anyHostAddress(p.hostIp);
  std::vector<std::string> out;
  for (const auto& a : vrfAddresses)
    if (isIpv6(a) == isIpv6(p.to) && (anyAddress || a == p.hostIp)) out.push_back(a);
  return out;
}

PortRules portRules(const std::vector<VrfMembers>& vrfs, const std::vector<PortForward>& ports,
                    bool ipv6) {
  PortRules out;
  for (const auto& p : ports) {
    if (p.to.empty() || isIpv6(p.to) != ipv6) continue;
    bool anyAddress = anyHostAddress(p.hostIp);
    if (!p.hostIp.empty() && isIpv6(p.hostIp) != ipv6) continue;
    auto vrf =
        std::find_if(vrfs.begin(), vrfs.end(), [&](const VrfMembers& v) { return v.vrf == p.vrf; });
    if (vrf == vrfs.end()) continue;
    if (!anyAddress &&
        std::find(vrf->addresses.begin(), vrf->addresses.end(), p.hostIp) == vrf->addresses.end())
      continue;  // bound to an address this VRF does not have (127.0.0.1, the main table's)
    std::string match = " -p " + p.proto + " --dport " + std::to_string(p.hostPort);
    std::string dnat = " -j DNAT --to-destination " + (ipv6 ? "[" + p.to + "]" : p.to) + ":" +
                       std::to_string(p.port);
    std::string local =
        anyAddress ? " -m addrtype --dst-type LOCAL --limit-iface-in" : " -d " + p.hostIp;
    for (const auto& m : vrf->members)
      if (m != p.bridge) out.prerouting.push_back("-i " + m + local + match + dnat);
    for (const auto& a : answersOn(vrf->addresses, p))
      out.output.push_back("-o " + p.vrf + " -d " + a + match + dnat);
    out.forward.push_back("-i " + p.vrf + " -o " + p.bridge + " -d " + p.to + " -p " + p.proto +
                          " --dport " + std::to_string(p.port) +
                          " -m conntrack --ctstate DNAT -j ACCEPT");
  }
  sortUnique(out.prerouting);
  sortUnique(out.output);
  sortUnique(out.forward);
  return out;
}

}  // namespace netvrf
