#pragma once

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "attach/host_vrfs.hpp"
#include "attach/jobs.hpp"
#include "registry/refusal.hpp"
#include "runtime/container_event.hpp"
#include "targets/reconcile.hpp"

namespace netvrf {

// The runtimes' networks (all but host and none), as their watchers report them: a bridge
// network labelled netvrf.vrf has its bridge in that VRF on the host (attached on the attach worker when it appears, again
// when someone else takes it out, released over the API and then left alone until attached
// again), and the VRF goes with the last network in it if netvrfd made it. Their labels are
// also what netvrf.container_vrf reads (labelsOf). Runs on the loop thread only.
class Networks {
 public:
  // `changed`: after an attachment changed (STATUS=).
  explicit Networks(std::function<void()> changed) : changed_(std::move(changed)) {}

  void setWorker(Worker* worker) { worker_ = worker; }

  void onNetwork(NetworkInfo info);
  void onNetworkGone(const std::string& runtime, const std::string& id);
  void onNetworksSynced(NetworksSynced s);

  // The subnets of the network whose bridge is `ifname`; nothing when it is no network's bridge.
  std::optional<std::vector<std::string>> subnetsOfBridge(const std::string& ifname) const;

  // The bridge of network `id` of `runtime`; empty when it has none or is not known.
  std::string bridgeOf(const std::string& runtime, const std::string& id) const;
  // The labels of network `id` of `runtime`; nothing when it is not known.
  const std::map<std::string, std::string>* labelsOf(const std::string& runtime,
                                                     const std::string& id) const;

  // As the API shows them.
  struct View {
    std::string runtime, id, name, bridge;
    std::string vrf;  // the host VRF its bridge is in; empty when none
  };
  std::vector<View> views() const;
  nlohmann::json json() const;  // for Describe()
  size_t attached() const;
  Found find(const std::string& which) const;  // by name or id prefix
  // Its bridge into host VRF `vrf` / out of its VRF. Throw VrfError when that cannot be asked
  // now (an attach under way, already in another VRF).
  void requestAttach(const std::string& key, const std::string& vrf, std::optional<uint64_t> table,
                     Then<InsideResult> reply);
  // `reply` gets the VRF the bridge left, or "" when it was in none.
  void requestDetach(const std::string& key, Then<std::string> reply);

  // After a fresh list of the host's VRFs: a bridge that is no longer in its VRF is reported
  // and, where its label asks, attached again. True when one was.
  bool checkAgainst(const std::vector<HostVrf>& vrfs);

 private:
  struct Network {
    NetworkInfo info;
    AttachState attach = AttachState::None;
    std::string vrf;       // asked for (Pending) or in (Attached)
    bool heldOff = false;  // detached by hand: its label is not applied again
  };
  static std::string keyOf(const std::string& runtime, const std::string& id) {
    return "net:" + runtime + "/" + id;
  }
  void submitAttach(const std::string& key, Network& n, InsideRequest req,
                    Then<InsideResult> reply);
  void attached(const std::string& key, const std::string& vrf, const Done<job::Attach::Result>& d);
  void released(const std::string& key, const std::string& vrf, const Done<bool>& d);

  std::function<void()> changed_;
  Worker* worker_ = nullptr;
  std::map<std::string, Network> networks_;  // by net:runtime/id
};

}  // namespace netvrf
