#pragma once

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "attach/host_vrfs.hpp"
#include "attach/jobs.hpp"
#include "common/log.hpp"
#include "config.hpp"
#include "firewall/firewall.hpp"
#include "links/drift.hpp"
#include "loop/event_loop.hpp"
#include "netns/netns_dir.hpp"
#include "netns/ownership.hpp"
#include "networks/networks.hpp"
#include "registry/netns_registry.hpp"
#include "runtime/container_event.hpp"
#include "targets/api_requests.hpp"
#include "targets/attachments.hpp"
#include "targets/reconciler.hpp"
#include "targets/requests.hpp"
#include "targets/sandbox_store.hpp"
#include "views/container_view.hpp"

namespace netvrf {

// What netvrfd does for containers, put together: the netns registry (registry/) follows them
// and their entries; the runtimes' networks (networks/); what is applied to each registered
// container's VRFs and the jobs that change it (targets/attachments.hpp); the one reconcile
// step that brings it to what is wanted (targets/reconciler.hpp); changes behind netvrfd's back
// (links/drift.hpp); what is asked over the API (targets/api_requests.hpp). The manager wires
// them to each other and to the API, and keeps the host's VRFs as last listed. Runs on the loop
// thread only.
class Manager {
 public:
  Manager(EventLoop& loop, NetnsDir& netnsDir, OwnershipStore& store, RequestStore& requests,
          SandboxStore& sandboxes, const Config& config);

  // At start: keeps the entries of a previous run whose container still runs, removes the
  // others (their container died while netvrfd was down).
  void adoptPrevious() { registry_.adoptPrevious(); }

  // Initial sync: `onSynced` runs once every expected runtime has reported a first list, or
  // reported that it is not running.
  void expectRuntime(const std::string& runtime) { registry_.expectRuntime(runtime); }
  std::function<void()> onSynced;
  std::function<void()> onChanged;  // after any registration change

  void handle(RuntimeEvent event);

  // Where jobs go (the AttachWorker); none: labels are ignored.
  void setWorker(Worker* worker) {
    worker_ = worker;
    attachments_.setWorker(worker);
    networks_.setWorker(worker);
    firewall_.setWorker(worker);
  }
  // The host's VRFs as the worker found them after a job (on the loop thread).
  void hostVrfsSeen(const std::vector<HostVrf>& vrfs);

  // Follows the host's interfaces from now on: a host VRF, a network's bridge or a container's
  // leg that someone else deletes or releases is reported and, where a label asks for it,
  // attached again (links/drift.hpp). Containers' own VRFs are followed once attached.
  void watchHostLinks() { drift_.followHost(); }
  // Lists the host's VRFs again (on the attach worker); onVrfsChanged follows if they changed.
  void refreshHostVrfs();

  // After the policies changed (a reload): every registered container is attached where what
  // it wants is not applied yet, and what a policy attached that is no longer wanted, or
  // wanted otherwise, is detached (and attached as now wanted).
  void reconcileAll();

  // Removes every entry netvrfd created (only when configured to on exit).
  void removeAll();

  std::string summary() const;  // one line for STATUS=

  std::vector<ContainerView> containers() const;
  std::optional<ContainerView> container(const std::string& key) const;

  // Why the API was turned down (registry/refusal.hpp), and what it found.
  using Refusal = netvrf::Refusal;
  using Found = netvrf::Found;
  // For the API. A registered container by name or id prefix, as the docker CLI takes them;
  // otherwise why not, and a one-line message.
  Found findRegistered(const std::string& which) const {
    return registry_.findRegistered(which);
  }
  // Attach or detach on the attach worker; `reply` gets the outcome, on the loop thread.
  // A successful attach is stored (by runtime and container name, targets/requests.hpp) and
  // applied again whenever a container of that name starts; `temporary`: for this instance of
  // the container only.
  void requestAttach(const std::string& key, InsideRequest req, bool temporary,
                     Then<InsideResult> reply) {
    api_.attach(key, std::move(req), temporary, std::move(reply));
  }
  // The host leg: throws VrfError when the container has a leg into another host VRF.
  void requestAttachHost(const std::string& key, HostSideRequest req, bool temporary,
                         Then<HostSideResult> reply) {
    api_.attachHost(key, std::move(req), temporary, std::move(reply));
  }
  // Detaching from `vrf` (every VRF when empty) includes the host leg into it; `reply` gets the
  // VRFs it left. The stored requests of what was detached go; where the labels ask for it, a
  // detach is stored instead, so it stays out until attached again.
  void requestDetach(const std::string& key, const std::string& vrf,
                     Then<std::vector<std::string>> reply) {
    api_.detach(key, vrf, std::move(reply));
  }
  // What is stored, for containers running or not.
  const std::vector<StoredRequest>& requests() const { return requests_.all(); }
  // The stored attach requests of containers named `name` that do not run (into `vrf` only,
  // when given) are removed; returns the VRFs they named, or nothing when there were none.
  // Throws std::system_error when the file cannot be written (nothing changed).
  std::optional<std::vector<std::string>> forgetStopped(const std::string& name,
                                                        const std::string& vrf) {
    return api_.forgetStopped(name, vrf);
  }
  std::string describeJson() const;  // the whole state, for Describe()

  // The runtimes' bridge networks (networks/networks.hpp), for the API.
  using NetworkView = Networks::View;
  std::vector<NetworkView> networks() const { return networks_.views(); }
  Found findNetwork(const std::string& which) const { return networks_.find(which); }
  // Its bridge into host VRF `vrf` / out of its VRF. Throw VrfError when that cannot be asked
  // now (an attach under way, already in another VRF).
  void requestNetworkAttach(const std::string& key, const std::string& vrf,
                            std::optional<uint64_t> table, Then<InsideResult> reply) {
    networks_.requestAttach(key, vrf, table, std::move(reply));
  }
  // `reply` gets the VRF the bridge left, or "" when it was in none.
  void requestNetworkDetach(const std::string& key, Then<std::string> reply) {
    networks_.requestDetach(key, std::move(reply));
  }
  // After a container's state changed (registration or attachment).
  std::function<void(const ContainerView&)> onContainerChanged;
  std::function<void(const std::string& key)> onContainerGone;  // no longer followed at all

  // The host's VRFs as last seen by the attach worker (after each of its jobs).
  const std::vector<HostVrf>& hostVrfs() const { return hostVrfs_; }
  std::function<void(const std::vector<HostVrf>&)> onVrfsChanged;
  // On the attach worker, on the host.
  void listVrfs(Then<std::vector<HostVrf>> reply);
  void createVrf(const std::string& vrf, std::optional<uint64_t> table, Then<HostVrf> reply);
  void deleteVrf(const std::string& vrf, Then<Nothing> reply);

  // Plain processes (runtime "process"): `name` becomes the netns entry of PID `pid`'s
  // namespace until the process exits or UnregisterNamespace. Errors as in Found.
  Found registerProcess(const std::string& name, pid_t pid) {
    return registry_.registerProcess(name, pid);
  }
  Found unregisterProcess(const std::string& name) { return registry_.unregisterProcess(name); }
  // Pod sandboxes from the CNI plugin (runtime "cni", NetnsRegistry::registerSandbox, and
  // manager_sandboxes.cpp): followed from its ADD and attached for as long as it lasts, so
  // they show and are looked after as containers are; what was asked is kept in the state
  // directory (targets/sandbox_store.hpp), and a restarted netvrfd follows them again.
  struct SandboxAdd {
    std::string id, name, path;  // the CNI container id, as shown, CNI_NETNS
    Fd netns;                    // the plugin's open CNI_NETNS
  };
  // Its ADD. Refused (registerSandbox's errors): returned, nothing done. An attach that fails
  // (through `reply`, or thrown as requestAttachHost throws) leaves the sandbox followed only if
  // it was before.
  Found attachSandbox(SandboxAdd add, InsideRequest req, Then<InsideResult> reply);
  Found attachSandboxHost(SandboxAdd add, HostSideRequest req, Then<HostSideResult> reply);
  // At start: the sandboxes of the last run whose path still holds their namespace are followed
  // and attached again; the others' records go.
  void restoreSandboxes();
  // Its DEL: detached from `vrf` (every VRF when empty) inside its namespace, its host leg
  // removed, and no longer followed. `reply` gets the VRFs it left, or `known` false when
  // sandbox `id` is not followed (netvrfd did not see its ADD).
  struct SandboxReleased {
    bool known = false;
    std::vector<std::string> vrfs;
  };
  void releaseSandbox(const std::string& id, const std::string& vrf, Then<SandboxReleased> reply);
  using NamespaceView = NetnsRegistry::NamespaceView;
  std::vector<NamespaceView> namespaces() const { return registry_.namespaces(); }

 private:
  // What the registry says.
  NetnsRegistry::Events registryEvents();
  Attachments::Events attachmentEvents();
  void registered(const std::string& key);
  void seenAgain(const std::string& key, bool networks, bool connected);
  void unregistered(const std::string& key);
  void forgotten(const std::string& key);
  void updateFirewall(bool again = false);
  // A host VRF that is gone leaves its catch-all routes behind: they go.
  void clearHostVrf(const HostVrf& gone);
  void changed();
  void containerChanged(const Target& t);
  void bindingChanged(const std::string& key);  // with or without a Target
  ContainerView viewOf(const Binding& b, const Target* t) const;
  // Follows sandbox `add` and runs `attach` for it; then as sandboxAttached.
  template <typename Result>
  Found addSandbox(SandboxAdd add, StoredRequest want,
                   const std::function<void(const std::string& key, Then<Result>)>& attach,
                   Then<Result> reply);
  // After a sandbox's attach: its record is kept, or (it failed and the sandbox was not
  // followed before) it is no longer followed.
  void sandboxAttached(const std::string& id, bool fresh, const StoredRequest& want, bool ok);
  void sandboxForgotten(const std::string& key);
  void removeSandboxRecord(const std::string& id);  // a failure is logged

  NetnsDir& netnsDir_;
  RequestStore& requests_;
  SandboxStore& sandboxes_;
  NetnsRegistry registry_;
  Networks networks_;
  Attachments attachments_;
  Reconciler reconciler_;
  Drift drift_;
  ApiRequests api_;
  Firewall firewall_;
  Worker* worker_ = nullptr;
  std::vector<HostVrf> hostVrfs_;
  bool vrfsListed_ = false;  // hostVrfs_ is the worker's list, not the empty start
  bool synced_ = false;      // every runtime's first list (and networks) is in
  bool stopping_ = false;    // removeAll(): the firewall's rules stay for the next run
};

}  // namespace netvrf
