#pragma once

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <source_location>
#include <string>
#include <vector>

#include "attach/jobs.hpp"
#include "common/log.hpp"
#include "registry/netns_registry.hpp"
#include "targets/target.hpp"

namespace netvrf {

// The applied side of the attachment targets: each registered container's Target, and the
// attach worker's jobs that change it. Handing a job over marks its part Pending; its outcome,
// back on the loop thread, sets what is applied (or keeps the error), logs it, and says so
// through Events. It decides nothing: the reconcile step (targets/reconciler.hpp) and the API
// (targets/api_requests.hpp) say what to do. Runs on the loop thread only.
class Attachments {
 public:
  struct Events {
    // What a container shows changed (its state, its last error).
    std::function<void(const Target&)> changed;
    // What is attached changed (STATUS=).
    std::function<void()> summaryChanged;
    // A VRF inside its namespace was attached: its links are to be followed.
    std::function<void(const std::string& key, Target&)> attachedInside;
    // Its own VRF is not attached (any more).
    std::function<void(const std::string& key, Target&)> ownVrfLeft;
    // A job of it is done and its caller answered: what changed meanwhile is reconciled.
    std::function<void(const std::string& key, Target&)> jobDone;
  };

  Attachments(const NetnsRegistry& registry, Events events);

  // Where jobs go (the AttachWorker); none: nothing is attached.
  void setWorker(Worker* worker) { worker_ = worker; }
  Worker* worker() const { return worker_; }

  // The target of registered `key`, made when first asked for.
  Target& target(const std::string& key);
  Target* find(const std::string& key);
  const Target* find(const std::string& key) const;
  // The target `key` if it is still the registered instance `pid` a job was asked for.
  Target* instance(const std::string& key, pid_t pid);
  void erase(const std::string& key) { targets_.erase(key); }
  std::map<std::string, Target>& all() { return targets_; }
  // Containers attached to a VRF, inside or by a host leg (STATUS=).
  size_t attached() const;

  // Its netns entry, opened; throws std::system_error.
  Fd openEntry(const Target& t) const { return registry_.openEntry(*t.b); }
  // Logs `what` about `t` as a warning and keeps it as its last error (file and line are the
  // caller's).
  void warn(Target& t, const std::string& what, const log::Fields& fields,
            const std::source_location& where = std::source_location::current());
  void changed(const Target& t) {
    if (events_.changed) events_.changed(t);
  }
  void summaryChanged() {
    if (events_.summaryChanged) events_.summaryChanged();
  }

  // Jobs for a container. `reply`, when given, is answered after the state changed.
  // Its own VRF (netvrf.vrf, a request, a policy); `restore`: routes to put back in its table.
  void attach(const std::string& key, Target& t, Fd netns, InsideRequest req,
              std::shared_ptr<const RouteSnapshot> restore, Then<InsideResult> reply);
  // One of its interface VRFs (t.interfaceParts[req.vrf]).
  void attachInterfaceVrf(const std::string& key, Target& t, Fd netns, const InsideRequest& req);
  void attachHost(const std::string& key, Target& t, Fd netns, HostSideRequest leg,
                  Then<HostSideResult> reply);
  // From `vrf`, or from every VRF inside its namespace.
  void detach(const std::string& key, Target& t, Fd netns, std::optional<std::string> vrf,
              Then<InsideDetachResult> reply);
  // Its leg into a host VRF, if it has one; asked over the API (`reply`), whatever was last
  // heard of it.
  void detachHostLeg(Target& t, Then<bool> reply = nullptr);

  // "attached to VRF red (table 1001): eth0; 3 routes moved", for the log.
  static std::string attachedText(const std::string& vrf, const InsideResult& r);

 private:
  // Their outcomes, on the loop thread.
  void insideAttached(const std::string& key, pid_t pid, const std::string& vrf,
                      const Done<job::Attach::Result>& d);
  void interfaceAttached(const std::string& key, pid_t pid, const std::string& vrf,
                         const Done<job::Attach::Result>& d);
  void hostAttached(const std::string& key, pid_t pid, const std::string& vrf,
                    const Done<HostSideResult>& d);
  void detached(const std::string& key, pid_t pid, const std::string& vrf,
                const Done<InsideDetachResult>& d);
  void jobDone(const std::string& key, pid_t pid);
  // The target a job's outcome is for, if it is still that instance; otherwise, with `what`
  // ("attach to"), that is logged.
  Target* outcomeFor(const std::string& key, pid_t pid, const char* what, const std::string& vrf,
                     const std::string& error);

  const NetnsRegistry& registry_;
  Events events_;
  Worker* worker_ = nullptr;
  std::map<std::string, Target> targets_;  // registered containers', by runtime/id
};

}  // namespace netvrf
