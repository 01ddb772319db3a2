#include "firewall/forward_rules.hpp"

#include <algorithm>

namespace netvrf {

std::vector<std::string> forwardRules(const std::vector<VrfForward>& vrfs, bool ipv6) {
  std::vector<std::string> rules;
  for (const auto& v : vrfs)
    for (const auto& subnet : v.subnets) {
      if ((subnet.find(':') != std::string::npos) != ipv6) continue;
      for (const auto& uplink : v.uplinks)
        rules.push_back("-i " + v.vrf + " -s " + subnet + " -o " + uplink + " -j ACCEPT");
    }
  std::sort(rules.begin(), rules.end());
  rules.erase(std::unique(rules.begin(), rules.end()), rules.end());
  return rules;
}

}  // namespace netvrf
