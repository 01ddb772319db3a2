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

std::vector<PortView> portViews(const std::vector<HostVrf>& vrfs, const Networks& networks,
                                const ContainerInfo& c) {
  std::vector<PortForward> inVrfs = portForwards(vrfs, networks, c);
  std::vector<PortView> out;
  for (const auto& p : c.ports) {
    PortView pv{p.proto, p.port, p.hostIp, p.hostPort, "", {}};
    for (const auto& f : inVrfs) {
      if (f.proto != p.proto || f.hostPort != p.hostPort || f.hostIp != p.hostIp) continue;
      pv.vrf = f.vrf;
      for (const auto& h : vrfs)
        if (h.name == f.vrf) {
          auto on = answersOn(h.addresses, f);
          pv.addresses.insert(pv.addresses.end(), on.begin(), on.end());
        }
    }
    out.push_back(std::move(pv));
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
  auto ruleset = [&](bool ipv6) {
    PortRules p = portRules(members, ports, ipv6);
    std::vector<std::string> forward = forwardRules(forwards, ipv6);
    forward.insert(forward.end(), p.forward.begin(), p.forward.end());
    return Ruleset{std::move(forward), std::move(p.prerouting), std::move(p.output)};
  };
  Rules wanted{ruleset(false), ruleset(true)};
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
          log::warning("cannot update netvrfd's chains in the firewall: " + d.error +
                       "; containers on networks in host VRFs may not reach the VRFs' uplinks, "
                       "nor their published ports answer there; trying again in " +
                       (retryAfter_.count() % 1000
                            ? std::to_string(retryAfter_.count()) + " ms"
                            : std::to_string(retryAfter_.count() / 1000) + " s"));
          return;
        }
        retryAfter_ = std::chrono::milliseconds(0);
        if (*d.value && !empty)
          log::info("firewall: netvrfd's chains " + what);
        else if (*d.value)
          log::debug("firewall: nothing of netvrfd's in it");
      }});
}

void Firewall::failed() {
  asked_.reset();  // written whole next time
  retryAfter_ = std::min(std::max(retryAfter_ * 2, firstRetry_),
                         std::max(firstRetry_, std::chrono::milliseconds(30000)));
  retryTimer_ = loop_.addTimer(retryAfter_, [this] {
    retryTimer_ = {};
    if (!asked_) retry_();  // unless an update came meanwhile
  });
}

}  // namespace netvrf
