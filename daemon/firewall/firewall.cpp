#include "firewall/firewall.hpp"

#include "common/log.hpp"

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

}  // namespace

void Firewall::update(const std::vector<HostVrf>& vrfs, const Networks& networks, bool again) {
  if (!worker_) return;
  std::vector<VrfForward> wanted;
  for (const auto& v : vrfs) {
    VrfForward f{v.name, {}, {}};
    for (const auto& ifname : v.interfaces) {
      auto subnets = networks.subnetsOfBridge(ifname);
      if (subnets)
        f.subnets.insert(f.subnets.end(), subnets->begin(), subnets->end());
      else
        f.uplinks.push_back(ifname);
    }
    if (!f.subnets.empty() && !f.uplinks.empty()) wanted.push_back(std::move(f));
  }
  if (!again && asked_ && *asked_ == wanted) return;
  asked_ = wanted;
  worker_->submit(job::Forward{
      forwardRules(wanted, false), forwardRules(wanted, true), [this, wanted](Done<bool> d) {
        if (!d) {
          asked_.reset();  // tried again at the next update
          log::warning("cannot update chain NETVRF-FORWARD in Docker's firewall: " + d.error +
                       "; containers on networks in host VRFs may not reach the VRFs' uplinks");
        } else if (*d.value && !wanted.empty()) {
          log::info("Docker's firewall: NETVRF-FORWARD (from DOCKER-USER) lets out " +
                    describe(wanted));
        } else if (*d.value) {
          log::debug("Docker's firewall: nothing of netvrfd's in it");
        }
      }});
}

}  // namespace netvrf
