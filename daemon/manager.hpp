#pragma once

#include <functional>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "attach/attach_worker.hpp"
#include "config.hpp"
#include "loop/event_loop.hpp"
#include "netns/netns_dir.hpp"
#include "netns/ownership.hpp"
#include "runtime/container_event.hpp"

namespace netvrf {

// What netvrfd did with a running container's namespace.
enum class BindingState {
  Registered,   // its namespace is mounted under the netns directory
  HostNetwork,  // it shares the host's namespace: nothing to register
  NameInvalid,  // the name template gives no name iproute2 can use
  NameTaken,    // every candidate name is held by someone else
  Failed,       // pinning or mounting failed (logged with the cause)
};

// Whether a labelled container is attached to its VRF (netvrf.vrf label).
enum class AttachState {
  None,      // not labelled, or not asked yet for this instance
  Pending,   // handed to the attach worker
  Attached,  // in its VRF
  Failed,    // the labels or the attach failed (logged with the cause)
};

const char* toString(BindingState s);  // "registered", "host-network", ...
const char* toString(AttachState s);   // "none", "pending", "attached", "failed"

// One container as the API shows it.
struct ContainerView {
  std::string runtime;
  std::string id;
  std::string name;
  std::string entry;  // the netns entry's name; empty when not registered
  uint32_t pid = 0;
  std::string state;    // toString(BindingState)
  std::string vrf;      // the VRF inside its namespace, once attached
  std::string attach;   // toString(AttachState) of that VRF
  std::string hostVrf;  // the host VRF of its veth leg, once attached
};

// Owns the state of every container that runtimes report, and keeps the netns directory in
// line with it: registers a running container's namespace, removes the entry the moment its
// process exits, and never touches an entry it did not create. Runs on the loop thread only.
class Manager {
 public:
  Manager(EventLoop& loop, NetnsDir& netnsDir, OwnershipStore& store, const Config& config);

  // At start: keeps the entries of a previous run whose container still runs, removes the
  // others (their container died while netvrfd was down).
  void adoptPrevious();

  // Initial sync: `onSynced` runs once every expected runtime has reported a first list, or
  // reported that it is not running.
  void expectRuntime(const std::string& runtime);
  std::function<void()> onSynced;
  std::function<void()> onChanged;  // after any registration change

  void handle(RuntimeEvent event);

  // Where attach jobs for labelled containers go (the AttachWorker); none: labels are ignored.
  void setAttacher(std::function<void(AttachJob)> submit) { submitAttach_ = std::move(submit); }
  void handleAttached(AttachOutcome outcome);

  // Removes every entry netvrfd created (only when configured to on exit).
  void removeAll();

  std::string summary() const;  // one line for STATUS=

  std::vector<ContainerView> containers() const;

  // For the API. A registered container by name or id prefix, as the docker CLI takes them;
  // otherwise the D-Bus error name and message saying why not.
  struct Found {
    std::string key;
    std::string errorName;
    std::string error;
  };
  Found findRegistered(const std::string& which) const;
  // Attach or detach on the attach worker; `reply` gets the outcome, on the loop thread.
  using Reply = std::function<void(const AttachOutcome&)>;
  void requestAttach(const std::string& key, InsideRequest req, Reply reply);
  void requestDetach(const std::string& key, const std::string& vrf, Reply reply);
  std::string describeJson() const;  // the whole state, for Describe()
  // After a container's state changed (registration or attachment).
  std::function<void(const ContainerView&)> onContainerChanged;

 private:
  struct Container {
    ContainerInfo info;
    BindingState state = BindingState::Failed;
    std::string entry;  // set while Registered
    PinnedNetns pin;    // the pidfd tells when the process exits
    EventLoop::Source exitWatch;
    AttachState attach = AttachState::None;      // netvrf.vrf
    std::string vrf;                             // while Attached
    AttachState hostAttach = AttachState::None;  // netvrf.host_vrf
    std::optional<HostSideRequest> hostLeg;      // while Pending or Attached
  };

  // A runtime's bridge network, attached to a host VRF when labelled netvrf.vrf.
  struct Network {
    NetworkInfo info;
    AttachState attach = AttachState::None;
    std::string vrf;  // asked for (Pending) or in (Attached)
  };

  void onNetwork(NetworkInfo info);
  void onNetworkGone(const std::string& key);
  void onNetworksSynced(NetworksSynced s);
  void networkAttached(AttachOutcome o);

  void onRunning(ContainerRunning r);
  void onStopped(const std::string& key);
  void onRuntimeList(RuntimeSynced s);
  void onAvailability(const RuntimeAvailability& a);
  void onProcessExit(const std::string& key);

  void registerContainer(Container& c, PinnedNetns pin);
  // Tries to claim `entry` for `c`; false when it is taken.
  bool claim(Container& c, const std::string& entry, PinnedNetns& pin);
  void unregister(Container& c, const std::string& why);
  void setState(Container& c, BindingState state, const std::string& detail);
  void watchExit(const std::string& key, Container& c);
  std::vector<std::string> candidateNames(const ContainerInfo& info) const;
  void runtimeSynced(const std::string& runtime);
  void maybeAttach(const std::string& key, Container& c);
  void detachHostLeg(Container& c);
  Fd openEntry(const Container& c) const;  // its netns entry; throws std::system_error
  void submitWithReply(AttachJob job, Reply reply);
  void changed();
  void containerChanged(const Container& c);
  static ContainerView viewOf(const Container& c);

  EventLoop& loop_;
  NetnsDir& netnsDir_;
  OwnershipStore& store_;
  const Config& config_;
  NsIdentity hostNs_;
  std::map<std::string, Container> containers_;  // by runtime/id
  std::map<std::string, std::string> entries_;   // our live entries: name -> runtime/id
  std::map<std::string, Network> networks_;      // by net:runtime/id
  std::set<std::string> pendingRuntimes_;
  std::map<std::string, bool> runtimeUp_;
  bool synced_ = false;
  std::function<void(AttachJob)> submitAttach_;
  std::map<uint64_t, Reply> replies_;  // API calls waiting for a job, by ticket
  uint64_t nextTicket_ = 1;
};

}  // namespace netvrf
