#include "networks/networks.hpp"

#include <fcntl.h>

#include <algorithm>
#include <set>

#include "attach/labels.hpp"
#include "common/error.hpp"
#include "common/log.hpp"
#include "common/printable.hpp"

namespace netvrf {

void Networks::onNetwork(NetworkInfo info) {
  std::string key = keyOf(info.runtime, info.id);
  Network& n = networks_[key];
  n.info = std::move(info);
  if (n.attach != AttachState::None || !worker_) return;
  std::optional<InsideRequest> req;
  try {
    req = planFromNetworkLabels(n.info.labels).bridge;
  } catch (const LabelError& e) {
    n.attach = AttachState::Failed;
    log::warning(describe(n.info) + ": not attached: " + e.what(), {{"NETWORK", n.info.name}});
    return;
  }
  if (!req || n.heldOff) return;
  if (n.info.bridge.empty()) {
    n.attach = AttachState::Failed;
    log::warning(describe(n.info) + ": not attached to VRF " + req->vrf +
                     ": it has no bridge on the host (netvrf.vrf on a network takes its bridge; "
                     "netvrf.container_vrf works with any network)",
                 {{"NETWORK", n.info.name}, {"VRF", req->vrf}});
    return;
  }
  log::info(describe(n.info) + ": attaching its bridge to VRF " + req->vrf,
            {{"NETWORK", n.info.name}, {"VRF", req->vrf}});
  submitAttach(key, n, std::move(*req), nullptr);
}

void Networks::submitAttach(const std::string& key, Network& n, InsideRequest req,
                            Then<InsideResult> reply) {
  // The bridge is on the host: so is the VRF. Host sockets stay as they are (strict).
  req.interfaces = {n.info.bridge};
  req.strict = true;
  Fd host(open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC));
  if (!host) throwErrno("open /proc/self/ns/net");
  n.attach = AttachState::Pending;
  n.vrf = req.vrf;
  std::string vrf = req.vrf;
  job::Attach j{std::move(host), describe(n.info), std::move(req), false, nullptr, {}};
  j.then = [this, key, vrf, reply](Done<job::Attach::Result> d) {
    attached(key, vrf, d);
    if (!reply) return;
    Done<InsideResult> r{std::nullopt, d.error, d.errorKind};
    if (d) r.value = d.value->attached;
    reply(std::move(r));
  };
  worker_->submit(std::move(j));
}

const std::map<std::string, std::string>* Networks::labelsOf(const std::string& runtime,
                                                             const std::string& id) const {
  auto it = networks_.find(keyOf(runtime, id));
  return it == networks_.end() ? nullptr : &it->second.info.labels;
}

std::string Networks::bridgeOf(const std::string& runtime, const std::string& id) const {
  auto it = networks_.find(keyOf(runtime, id));
  return it == networks_.end() ? std::string() : it->second.info.bridge;
}

std::optional<std::vector<std::string>> Networks::subnetsOfBridge(const std::string& ifname) const {
  for (const auto& [key, n] : networks_)
    if (!n.info.bridge.empty() && n.info.bridge == ifname) return n.info.subnets;
  return std::nullopt;
}

size_t Networks::attached() const {
  return std::count_if(networks_.begin(), networks_.end(),
                       [](const auto& kv) { return kv.second.attach == AttachState::Attached; });
}

nlohmann::json Networks::json() const {
  nlohmann::json out = nlohmann::json::array();
  for (const auto& [key, n] : networks_)
    out.push_back({{"runtime", n.info.runtime},
                   {"id", n.info.id},
                   {"name", n.info.name},
                   {"bridge", n.info.bridge},
                   {"vrf", n.attach == AttachState::Attached ? n.vrf : ""},
                   {"attach", toString(n.attach)}});
  return out;
}

std::vector<Networks::View> Networks::views() const {
  std::vector<View> out;
  for (const auto& [key, n] : networks_)
    out.push_back({n.info.runtime, n.info.id, n.info.name, n.info.bridge,
                   n.attach == AttachState::Attached ? n.vrf : ""});
  return out;
}

Found Networks::find(const std::string& which) const {
  std::vector<std::string> byId;
  std::string byName;
  for (const auto& [key, n] : networks_) {
    if (n.info.name == which) byName = key;
    if (!which.empty() && n.info.id.rfind(which, 0) == 0) byId.push_back(key);
  }
  if (!byName.empty()) return {byName, Refusal::None, ""};
  if (byId.size() == 1) return {byId.front(), Refusal::None, ""};
  if (byId.size() > 1)
    return {"", Refusal::AmbiguousNetwork,
            "'" + printableName(which) + "' matches " + std::to_string(byId.size()) +
                " networks; give more of the id"};
  return {"", Refusal::NoSuchNetwork, "no network " + printableName(which)};
}

void Networks::requestAttach(const std::string& key, const std::string& vrf,
                             std::optional<uint64_t> table, Then<InsideResult> reply) {
  Network& n = networks_.at(key);
  if (n.info.bridge.empty())
    throw VrfError(describe(n.info) + " has no bridge on the host to put into a VRF");
  if (n.attach == AttachState::Pending)
    throw VrfError(describe(n.info) + ": an attach to VRF " + n.vrf + " is under way");
  if (n.attach == AttachState::Attached && n.vrf != vrf)
    throw VrfError(describe(n.info) + " is in VRF " + n.vrf + "; detach it first");
  n.heldOff = false;
  InsideRequest req;
  req.vrf = vrf;
  req.table = table;
  log::info(describe(n.info) + ": attaching its bridge to VRF " + vrf + " (asked over D-Bus)",
            {{"NETWORK", n.info.name}, {"VRF", vrf}});
  submitAttach(key, n, std::move(req), std::move(reply));
}

void Networks::requestDetach(const std::string& key, Then<std::string> reply) {
  Network& n = networks_.at(key);
  if (n.info.bridge.empty())
    throw VrfError(describe(n.info) + " has no bridge on the host, so none in a VRF");
  if (n.attach == AttachState::Pending)
    throw VrfError(describe(n.info) + ": an attach to VRF " + n.vrf + " is under way");
  n.heldOff = true;  // until netvrfd restarts or it is attached by hand again
  std::string vrf = n.attach == AttachState::Attached ? n.vrf : "";
  worker_->submit(job::Release{vrf, n.info.bridge, [this, key, vrf, reply](Done<bool> d) {
                                 released(key, vrf, d);
                                 Done<std::string> r{std::nullopt, d.error, d.errorKind};
                                 if (d) r.value = *d.value ? vrf : "";
                                 reply(std::move(r));
                               }});
}

void Networks::onNetworkGone(const std::string& runtime, const std::string& id) {
  auto it = networks_.find(keyOf(runtime, id));
  if (it == networks_.end()) return;
  Network n = std::move(it->second);
  networks_.erase(it);
  // Its bridge went with it; the VRF goes too once nothing else is in it. Asked by the VRF it was
  // put into or asked for, whatever the last attempt's state: `docker network rm` deletes the
  // bridge before its event arrives, the link monitor sees it leave the VRF, and the attach
  // made again fails (no such interface) just before the network is reported gone.
  if (n.vrf.empty() || !worker_) return;
  worker_->submit(job::DeleteIfUnused{
      n.vrf, [vrf = n.vrf](Done<bool> d) {
        log::Fields fields{{"VRF", vrf}};
        if (!d)
          log::warning("VRF " + vrf + ": cannot delete it: " + d.error, fields);
        else if (*d.value)
          log::info("deleted VRF " + vrf + ": its last network is gone", fields);
      }});
}

void Networks::onNetworksSynced(NetworksSynced s) {
  std::set<std::string> present;
  for (auto& info : s.networks) {
    present.insert(keyOf(info.runtime, info.id));
    onNetwork(std::move(info));
  }
  std::vector<std::string> gone;
  for (const auto& [key, n] : networks_)
    if (n.info.runtime == s.runtime && !present.count(key)) gone.push_back(n.info.id);
  for (const auto& id : gone) onNetworkGone(s.runtime, id);
}

void Networks::released(const std::string& key, const std::string& vrf, const Done<bool>& d) {
  auto it = networks_.find(key);
  if (it == networks_.end()) return;
  Network& n = it->second;
  log::Fields fields{{"VRF", vrf}, {"NETWORK", n.info.name}};
  if (!d) {
    log::warning(describe(n.info) + ": not detached: " + d.error, fields);
    return;
  }
  n.attach = AttachState::None;
  n.vrf.clear();
  if (*d.value) log::info(describe(n.info) + ": detached from VRF " + vrf, fields);
  changed_();
}

void Networks::attached(const std::string& key, const std::string& vrf,
                        const Done<job::Attach::Result>& d) {
  auto it = networks_.find(key);
  if (it == networks_.end()) {
    log::info("a network was removed before its attach to VRF " + vrf + " finished");
    return;
  }
  Network& n = it->second;
  log::Fields fields{{"VRF", vrf}, {"NETWORK", n.info.name}};
  if (!d) {
    n.attach = AttachState::Failed;
    log::warning(describe(n.info) + ": not attached: " + d.error, fields);
    return;
  }
  n.attach = AttachState::Attached;
  log::info(describe(n.info) + ": attached to VRF " + vrf + " (table " +
                std::to_string(d.value->attached.vrf.table) + "); " +
                std::to_string(d.value->attached.routesMoved) + " routes moved",
            fields);
  changed_();
}

bool Networks::checkAgainst(const std::vector<HostVrf>& vrfs) {
  auto vrfThere = [&](const std::string& vrf) {
    return std::any_of(vrfs.begin(), vrfs.end(), [&](const HostVrf& v) { return v.name == vrf; });
  };
  auto inVrf = [&](const std::string& vrf, const std::string& ifname) {
    for (const auto& v : vrfs)
      if (v.name == vrf)
        return std::find(v.interfaces.begin(), v.interfaces.end(), ifname) != v.interfaces.end();
    return false;
  };
  bool any = false;
  for (auto& [key, n] : networks_) {
    if (n.attach != AttachState::Attached || inVrf(n.vrf, n.info.bridge)) continue;
    std::string vrf = std::exchange(n.vrf, "");
    n.attach = AttachState::None;
    any = true;
    std::string cause =
        vrfThere(vrf) ? n.info.bridge + " left VRF " + vrf : "VRF " + vrf + " was deleted";
    log::warning(describe(n.info) + ": " + cause + " behind netvrfd's back" +
                     (n.heldOff ? "" : "; attaching it again if labelled"),
                 {{"NETWORK", n.info.name}, {"VRF", vrf}});
    onNetwork(n.info);  // attaches it again when labelled
  }
  return any;
}

}  // namespace netvrf
