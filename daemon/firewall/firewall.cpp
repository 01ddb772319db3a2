#include "firewall/firewall.hpp"

#include <algorithm>

#include "common/log.hpp"
#include "firewall/forward_rules.hpp"
#include "firewall/port_rules.hpp"

namespace netvrf {

namespace {

std::string describe(const std::vector<VrfForward>& vrfs) {
  std::string out;
  for (const auto& v : vrfs) {
    std::string subnets, uplinks;
    for (const auto& s : v.subnets) subnets += (subnets.empty() ? "" : ", ") + s;
    for (const auto& u : v.uplinks) uplinks += (uplinks.empty() ? "" : ", ") + u;
    out += (out.empty() ? "" : "; ") + v.vrf + ": " + subnets + " to " + uplinks;
  }
  return out;
}

// The first few, then how many more: one log line at any number of containers.
std::string describe(const std::vector<PortForward>& ports) {
  constexpr size_t kNamed = 8;
  std::string out;
  for (size_t i = 0; i < ports.size() && i < kNamed; ++i) {
    const PortForward& p = ports[i];
    std::string to = isIpv6(p.to) ? "[" + p.to + "]" : p.to;
    out += (out.empty() ? "" : ", ") + std::to_string(p.hostPort) + "/" + p.proto + " -> " + to +
           ":" + std::to_string(p.port) + " in " + p.vrf;
  }
  if (ports.size() > kNamed) out += " and " + std::to_string(ports.size() - kNamed) + " more";
  return out;
}

}  // namespace

std::vector<PortForward> portForwards(const std::vector<HostVrf>& vrfs, const Networks& networks,
                                      const ContainerInfo& c) {
  std::vector<PortForward> out;
  if (c.ports.empty()) return out;
  for (const auto& net : c.networks) {
    std::string bridge = networks.bridgeOf(c.runtime, net.id);
    if (bridge.empty()) continue;
    auto vrf = std::find_if(vrfs.begin(), vrfs.end(), [&](const HostVrf& v) {
      return std::find(v.interfaces.begin(), v.interfaces.end(), bridge) != v.interfaces.end();
    });
    if (vrf == vrfs.end()) continue;
    for (const auto& p : c.ports) {
      bool any = anyHostAddress(p.hostIp);
      if (!any &&
          std::find(vrf->addresses.begin(), vrf->addresses.end(), p.hostIp) == vrf->addresses.end())
        continue;  // bound to an address the VRF does not have (127.0.0.1)
      for (const std::string& to : {net.ipv4, net.ipv6})
        if (!to.empty() && (p.hostIp.empty() || isIpv6(p.hostIp) == isIpv6(to)))
          out.push_back({vrf->name, bridge, p.proto, p.hostIp, p.hostPort, to, p.port});
    }
  }
  return out;
}

void Firewall::update(const std::vector<HostVrf>& vrfs, const Networks& networks,
                      const std::vector<const ContainerInfo*>& containers, bool again) {
  if (!worker_) return;
  std::vector<VrfForward> forwards;
  std::vector<VrfMembers> members;
  for (const auto& v : vrfs) {
    members.push_back({v.name, v.interfaces, v.addresses});
    VrfForward f{v.name, {}, {}};
    for (const auto& ifname : v.interfaces) {
      auto subnets = networks.subnetsOfBridge(ifname);
      if (subnets)
        f.subnets.insert(f.subnets.end(), subnets->begin(), subnets->end());
      else
        f.uplinks.push_back(ifname);
    }
    if (!f.subnets.empty() && !f.uplinks.empty()) forwards.push_back(std::move(f));
  }
  std::vector<PortForward> ports;
  for (const ContainerInfo* c : containers) {
    auto more = portForwards(vrfs, networks, *c);
    ports.insert(ports.end(), more.begin(), more.end());
  }
  NatRules nat4 = portRules(members, ports, false), nat6 = portRules(members, ports, true);
  Rules wanted{{forwardRules(forwards, false), nat4.prerouting, nat4.output},
               {forwardRules(forwards, true), nat6.prerouting, nat6.output}};
  if (!again && asked_ && *asked_ == wanted) return;
  // Written whole (Docker's chains looked at again) the first time, after a failure and when
  // dockerd (re)started; else only what changed.
  bool full = again || !asked_;
  asked_ = wanted;
  std::string what;
  if (!forwards.empty()) what = "let out " + describe(forwards);
  if (!ports.empty())
    what += (what.empty() ? "" : "; ") + std::string("published ") + describe(ports);
  worker_->submit(job::Firewall{
      wanted.ipv4, wanted.ipv6, full, [this, what, empty = what.empty()](Done<bool> d) {
        if (!d) {
          failed();
          log::warning("cannot update netvrfd's chains in Docker's firewall: " + d.error +
                       "; containers on networks in host VRFs may not reach the VRFs' uplinks, "
                       "nor their published ports answer there; trying again in " +
                       std::to_string(retryAfter_.count() / 1000) + " s");
          return;
        }
        retryAfter_ = std::chrono::milliseconds(0);
        if (*d.value && !empty)
          log::info("Docker's firewall: netvrfd's chains " + what);
        else if (*d.value)
          log::debug("Docker's firewall: nothing of netvrfd's in it");
      }});
}

void Firewall::failed() {
  asked_.reset();  // written whole next time
  retryAfter_ = std::min(std::max(retryAfter_ * 2, std::chrono::milliseconds(1000)),
                         std::chrono::milliseconds(30000));
  retryTimer_ = loop_.addTimer(retryAfter_, [this] {
    retryTimer_ = {};
    if (!asked_) retry_();  // unless an update came meanwhile
  });
}

}  // namespace netvrf
