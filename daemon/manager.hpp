#pragma once

#include <functional>
#include <map>
#include <optional>
#include <set>
#include <source_location>
#include <string>
#include <vector>

#include "attach/host_vrfs.hpp"
#include "attach/jobs.hpp"
#include "common/log.hpp"
#include "config.hpp"
#include "loop/event_loop.hpp"
#include "links/link_watch.hpp"
#include "netns/netns_dir.hpp"
#include "netns/ownership.hpp"
#include "networks/networks.hpp"
#include "registry/netns_registry.hpp"
#include "runtime/container_event.hpp"
#include "targets/reconcile.hpp"
#include "targets/requests.hpp"
#include "targets/wanted.hpp"

namespace netvrf {

// One VRF inside a container for some of its interfaces (targets/wanted.hpp InterfaceVrf), as
// the API shows it.
struct InterfaceVrfView {
  std::string vrf;
  uint32_t table = 0;                   // once attached
  std::vector<std::string> interfaces;  // enslaved to it, once attached
  std::string attach;                   // toString(AttachState)
  std::string from;                     // "network lab", "label netvrf.vrf.eth1", joined by ", "
  bool isDefault = false;               // it takes the unbound sockets
  bool operator==(const InterfaceVrfView&) const = default;
};

// One container as the API shows it.
struct ContainerView {
  std::string runtime;
  std::string id;
  std::string name;
  std::string entry;      // the netns entry's name; empty when not registered
  std::string netnsPath;  // its path
  uint32_t pid = 0;
  std::string state;                    // toString(BindingState)
  std::string vrf;                      // the VRF inside its namespace, once attached
  uint32_t table = 0;                   // its table
  std::vector<std::string> interfaces;  // enslaved to it
  std::string attach;                   // toString(AttachState) of that VRF
  std::string hostVrf;                  // the host VRF of its veth leg, once attached
  // What is wanted (targets/wanted.hpp), and where that comes from (toString(WantSource)).
  std::string wantedVrf;
  std::string wantedFrom;
  std::string wantedHostVrf;
  std::string wantedHostFrom;
  // The last thing that went wrong for this instance: "2026-12-04T01:23:45Z not attached: ...".
  std::string lastError;
  // Its interface VRFs, wanted or still applied, by name.
  std::vector<InterfaceVrfView> interfaceVrfs;
};

// What netvrfd does for containers: the netns registry (registry/netns_registry.hpp) follows
// them and their entries; the manager holds what is wanted of each registered container's VRFs
// and reconciles the kernel to it (the one step in manager_reconcile.cpp), owns the runtimes'
// networks, hears links change behind its back, and answers the API. Runs on the loop thread.
class Manager {
 public:
  Manager(EventLoop& loop, NetnsDir& netnsDir, OwnershipStore& store, RequestStore& requests,
          const Config& config);

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
    networks_.setWorker(worker);
  }
  // The host's VRFs as the worker found them after a job (on the loop thread).
  void hostVrfsSeen(const std::vector<HostVrf>& vrfs);

  // Follows the host's interfaces from now on: a host VRF, a network's bridge or a container's
  // leg that someone else deletes or releases is reported and, where a label asks for it,
  // attached again (manager_links.cpp). Containers' own VRFs are followed once attached.
  void watchHostLinks();
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
                     Then<InsideResult> reply);
  // The host leg: throws VrfError when the container has a leg into another host VRF.
  void requestAttachHost(const std::string& key, HostSideRequest req, bool temporary,
                         Then<HostSideResult> reply);
  // Detaching from `vrf` (every VRF when empty) includes the host leg into it; `reply` gets the
  // VRFs it left. The stored requests of what was detached go; where the labels ask for it, a
  // detach is stored instead, so it stays out until attached again.
  void requestDetach(const std::string& key, const std::string& vrf,
                     Then<std::vector<std::string>> reply);
  // What is stored, for containers running or not.
  const std::vector<StoredRequest>& requests() const { return requests_.all(); }
  // The stored attach requests of containers named `name` that do not run (into `vrf` only,
  // when given) are removed; returns the VRFs they named, or nothing when there were none.
  // Throws std::system_error when the file cannot be written (nothing changed).
  std::optional<std::vector<std::string>> forgetStopped(const std::string& name,
                                                        const std::string& vrf);
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
  using NamespaceView = NetnsRegistry::NamespaceView;
  std::vector<NamespaceView> namespaces() const { return registry_.namespaces(); }

 private:
  // What is wanted of, and applied to, one registered container's VRFs; made when it is
  // registered, gone with its binding (b, the registry's, lives as long).
  struct Container {
    const Binding* b = nullptr;
    TemporaryRequests temporary;  // asked with --temporary for this instance
    // Where what was last asked of the attach worker came from, and what it was: a reload
    // takes back only what a policy attached.
    WantSource insideFrom = WantSource::None;
    std::optional<InsideRequest> insideAsked;
    WantSource hostFrom = WantSource::None;
    AttachState attach = AttachState::None;      // netvrf.vrf
    std::string vrf;                             // while Attached
    uint32_t table = 0;                          // while Attached
    std::vector<std::string> interfaces;         // while Attached
    AttachState hostAttach = AttachState::None;  // netvrf.host_vrf
    std::optional<HostSideRequest> hostLeg;      // while Pending or Attached
    // Its interface VRFs (networks labelled netvrf.container_vrf, netvrf.vrf.<interface>), by
    // VRF name.
    struct InterfacePart {
      AttachState state = AttachState::None;
      std::optional<InsideRequest> asked;   // what was last asked of the worker
      uint32_t table = 0;                   // while Attached
      std::vector<std::string> interfaces;  // while Attached
      bool heldOut = false;                 // detached over the API: not again for this instance
    };
    std::map<std::string, InterfacePart> interfaceParts;
    // Something changed while a job of it was under way: why, to reconcile once it is done.
    std::optional<Trigger> again;
    // The last attach, detach or check of this instance that went wrong, and when.
    std::string lastError;
    std::chrono::system_clock::time_point lastErrorAt;
    // The routes in its VRF's table after the last attach: put back when the VRF or an
    // interface is taken away behind netvrfd's back and its labels ask for it again.
    std::shared_ptr<const RouteSnapshot> vrfRoutes;
  };

  // The keys of containers_: "docker/3f2a...", as the registry's.
  static std::string keyOf(const std::string& runtime, const std::string& id) {
    return NetnsRegistry::keyOf(runtime, id);
  }

  // What the registry says (manager.cpp).
  NetnsRegistry::Events registryEvents();
  void registered(const std::string& key);
  void seenAgain(const std::string& key, bool networks, bool connected);
  void unregistered(const std::string& key);
  void forgotten(const std::string& key);
  // The attach state of registered `key`, made when first asked for.
  Container& target(const std::string& key);
  // The one reconcile step (manager_reconcile.cpp): each part of `c` (inside, host leg) is
  // brought to what it wants now, as targets/reconcile.hpp decides. A part whose job is under
  // way is reconciled again when that job is done (reconcileLater).
  void reconcile(const std::string& key, Container& c, Trigger why = Trigger::Changed);
  void reconcileLater(const std::string& key, Container& c);
  // The interface VRFs' part of it: their jobs go before the container's own VRF's, which takes
  // the interfaces they leave.
  void reconcileInterfaceVrfs(const std::string& key, Container& c, const Wanted& w);
  void interfaceAttached(const std::string& key, pid_t pid, const std::string& vrf,
                         const Done<job::Attach::Result>& d);
  static bool anyPending(const Container& c);
  void jobDone(const std::string& key, pid_t pid);  // reconcileLater, for the same instance
  // The container `key` if it is still the registered instance `pid` a job was asked for.
  Container* instance(const std::string& key, pid_t pid);
  // Link changes behind netvrfd's back (manager_links.cpp).
  // While attached inside, the links of its namespace are followed (links_) and its VRF is
  // checked shortly after they changed.
  void watchLinks(const std::string& key, Container& c);
  // Its own VRF is no longer attached: stops following its links unless an interface VRF is.
  void unwatchLinks(const std::string& key, const Container& c);
  void checkLinks(const std::string& key);
  void linksChecked(const std::string& key, pid_t pid, const std::string& vrf,
                    const Done<CheckResult>& d);
  void interfaceVrfChecked(const std::string& key, pid_t pid, const std::string& vrf,
                           const Done<CheckResult>& d);
  void hostVrfsChecked();
  void clearHostVrf(const HostVrf& gone);
  Wanted wanted(const Container& c) const;
  // Jobs for a container, and what their outcomes change (on the loop thread). `reply`, when
  // given, is answered after the state changed.
  void submitAttach(const std::string& key, Container& c, Fd netns, InsideRequest req,
                    std::shared_ptr<const RouteSnapshot> restore, Then<InsideResult> reply);
  void insideAttached(const std::string& key, pid_t pid, const std::string& vrf,
                      const Done<job::Attach::Result>& d);
  // "attached to VRF red (table 1001): eth0; 3 routes moved", for the log.
  static std::string attachedText(const std::string& vrf, const InsideResult& r);
  void submitAttachHost(const std::string& key, Container& c, Fd netns, HostSideRequest leg,
                        Then<HostSideResult> reply);
  void hostAttached(const std::string& key, pid_t pid, const std::string& vrf,
                    const Done<HostSideResult>& d);
  void submitDetach(const std::string& key, Container& c, Fd netns, std::optional<std::string> vrf,
                    Then<InsideDetachResult> reply);
  void detached(const std::string& key, pid_t pid, const std::string& vrf,
                const Done<InsideDetachResult>& d);
  // After a successful attach or detach asked over the API: what is stored changes. An error
  // (the requests file cannot be written) is what the caller gets instead.
  template <typename T>
  void storeAttach(const std::string& key, StoredRequest request, bool temporary, Done<T>& d);
  template <typename T>
  void storeDetach(const std::string& key, bool inside, bool host, Done<T>& d);
  void detachHostLeg(Container& c, Then<bool> reply = nullptr);
  Fd openEntry(const Container& c) const { return registry_.openEntry(*c.b); }
  void changed();
  void containerChanged(const Container& c);
  void bindingChanged(const std::string& key);  // with or without a Container
  // Logs `what` about `c` as a warning and keeps it as its last error (file and line are the
  // caller's).
  void warn(Container& c, const std::string& what, const log::Fields& fields,
            const std::source_location& where = std::source_location::current());
  ContainerView viewOf(const Binding& b, const Container* c) const;
  ContainerView viewOf(const Container& c) const { return viewOf(*c.b, &c); }

  EventLoop& loop_;
  NetnsDir& netnsDir_;
  RequestStore& requests_;
  const Config& config_;
  NetnsRegistry registry_;
  std::map<std::string, Container> containers_;  // registered ones, by runtime/id
  Networks networks_;
  Worker* worker_ = nullptr;
  std::vector<HostVrf> hostVrfs_;
  LinkWatch links_;
};

}  // namespace netvrf
