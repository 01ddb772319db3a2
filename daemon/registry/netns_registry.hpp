#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "config.hpp"
#include "loop/event_loop.hpp"
#include "netns/netns_dir.hpp"
#include "netns/ownership.hpp"
#include "netns/pin.hpp"
#include "registry/refusal.hpp"
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
const char* toString(BindingState s);  // "registered", "host-network", ...

// One container (or plain process) the registry follows, and its namespace entry.
struct Binding {
  ContainerInfo info;
  BindingState state = BindingState::Failed;
  std::string entry;  // set while Registered
  PinnedNetns pin;    // the pidfd tells when the process exits
  EventLoop::Source exitWatch;
  // A registration that failed for a reason that may pass (the state directory full or
  // read-only): the pin is kept and it is tried again, later each time.
  bool retryable = false;
  EventLoop::Source retry;
  std::chrono::milliseconds retryAfter{0};
  std::string lastFailure;
  // A pod sandbox handed over by the CNI plugin (runtime "cni"): no entry of netvrfd's, no
  // process; the runtime's own path of its namespace (CNI_NETNS), and pin.netns holds it.
  std::string sandboxPath;
};

// The netns registry: follows every container the runtimes report and keeps the netns
// directory in line with it. Registers a running container's namespace (claiming its entry,
// recorded before the mount), removes the entry the moment its process exits, tries again a
// registration refused for a reason that may pass, keeps the entries of a previous run whose
// container still runs, and never touches an entry it did not create. Plain processes
// (registerProcess) are followed the same way. What is attached to a container is not its
// business: it says what happened through Events. Runs on the loop thread only.
class NetnsRegistry {
 public:
  // Each is called on the loop thread, with the binding in its new state.
  struct Events {
    // A new instance of `key` is about to be registered: what was attached to the last is gone.
    std::function<void(const std::string& key)> newInstance;
    // `key` was registered (a new instance, or one whose registration was tried again).
    std::function<void(const std::string& key)> registered;
    // The registered instance was reported again (a resync, a replayed event, a network
    // connected or disconnected). `networks`: its networks changed; `connected`: one was added.
    std::function<void(const std::string& key, bool networks, bool connected)> seenAgain;
    // Its entry went (its process exited, it stopped, it was renamed, netvrfd stops): the
    // binding is no longer registered.
    std::function<void(const std::string& key)> unregistered;
    // Its state changed (and was logged).
    std::function<void(const std::string& key)> stateChanged;
    // It is no longer followed at all; the binding goes after this returns.
    std::function<void(const std::string& key)> forgotten;
    // The set of entries, or a runtime's reachability, changed (STATUS=).
    std::function<void()> changed;
  };

  NetnsRegistry(EventLoop& loop, NetnsDir& netnsDir, OwnershipStore& store, const Config& config,
                Events events);

  // At start: keeps the entries of a previous run whose container still runs, removes the
  // others (their container died while netvrfd was down).
  void adoptPrevious();

  // Initial sync: `onSynced` runs once every expected runtime has reported a first list, or
  // reported that it is not running.
  void expectRuntime(const std::string& runtime);
  std::function<void()> onSynced;

  void onRunning(ContainerRunning r);
  void onStopped(const std::string& key);
  void onRuntimeList(RuntimeSynced s);
  void onAvailability(const RuntimeAvailability& a);

  // Removes every entry netvrfd created (only when configured to on exit).
  void removeAll();

  // Plain processes (runtime "process"): `name` becomes the netns entry of PID `pid`'s
  // namespace until the process exits or unregisterProcess.
  Found registerProcess(const std::string& name, pid_t pid);
  Found unregisterProcess(const std::string& name);
  // Pod sandboxes handed over by the CNI plugin (runtime "cni", registry_sandboxes.cpp): the
  // network namespace `netns` (the plugin's open CNI_NETNS, `path`) of sandbox `id`, shown as
  // `name`, followed without an entry of netvrfd's (the runtime made its own) and held open
  // until releaseSandbox (the plugin's DEL), or until `path` no longer holds it (a runtime that
  // removed it without a DEL). `fresh`: followed from now on, not an ADD again for the same
  // namespace. Errors: InvalidArgument (not a network namespace, the host's).
  Found registerSandbox(const std::string& id, const std::string& name, const std::string& path,
                        Fd netns, bool& fresh);
  // Stops following sandbox `id`; false when it was not followed.
  bool releaseSandbox(const std::string& id, const std::string& why);
  static constexpr const char* kSandboxRuntime = "cni";

  struct NamespaceView {
    std::string name;
    std::string runtime;  // empty: not netvrfd's entry
    std::string owner;    // the container's name (or the process's entry name)
    uint32_t pid = 0;
  };
  std::vector<NamespaceView> namespaces() const;  // every entry in the netns directory

  // A registered container by name or id prefix, as the docker CLI takes them.
  Found findRegistered(const std::string& which) const;
  const Binding* find(const std::string& key) const;
  const std::map<std::string, Binding>& all() const { return bindings_; }
  // The entry of registered `key`, opened; throws std::system_error.
  Fd openEntry(const Binding& b) const;
  const std::map<std::string, bool>& runtimes() const { return runtimeUp_; }
  size_t entries() const { return entries_.size(); }

  // The keys of bindings: "docker/3f2a...".
  static std::string keyOf(const std::string& runtime, const std::string& id) {
    return runtime + "/" + id;
  }

 private:
  void registerBinding(Binding& b, PinnedNetns pin);
  // Tries to claim `entry` for `b`; false when it is taken.
  bool claim(Binding& b, const std::string& entry, PinnedNetns& pin);
  void unregister(const std::string& key, Binding& b, const std::string& why);
  // Stops following a binding (after unregister); returns the next one.
  std::map<std::string, Binding>::iterator forget(std::map<std::string, Binding>::iterator it);
  void setState(const std::string& key, Binding& b, BindingState state, const std::string& detail);
  void watchExit(const std::string& key, Binding& b);
  void onProcessExit(const std::string& key);
  std::vector<std::string> candidateNames(const ContainerInfo& info) const;
  void runtimeSynced(const std::string& runtime);
  // Sandboxes whose path no longer holds their namespace go (registry_sandboxes.cpp).
  void watchSandboxPath(const std::string& path);
  void sandboxPathsChanged();
  // Second tries (registry_retry.cpp).
  void scheduleRetry(const std::string& key, Binding& b);
  void retryRegistration(const std::string& key);
  void changed() {
    if (events_.changed) events_.changed();
  }

  EventLoop& loop_;
  NetnsDir& netnsDir_;
  OwnershipStore& store_;
  const Config& config_;
  Events events_;
  NsIdentity hostNs_;
  std::map<std::string, Binding> bindings_;     // by runtime/id
  std::map<std::string, std::string> entries_;  // our live entries: name -> runtime/id
  std::set<std::string> pendingRuntimes_;
  std::map<std::string, bool> runtimeUp_;
  bool synced_ = false;
  Fd sandboxInotify_;  // one inotify instance for every sandbox's directory
  EventLoop::Source sandboxWatch_;
};

}  // namespace netvrf
