#pragma once

// What one part of a container needs next (its VRF inside its namespace, or its leg into a
// host VRF) so that what is applied becomes what is wanted. Pure: the reconcile step
// (reconciler.hpp) asks it for each part of a container whenever something about that
// container changed, and carries out the answer; unit-tested as a table.

#include <optional>

#include "attach/host_side.hpp"
#include "attach/inside.hpp"
#include "targets/wanted.hpp"

namespace netvrf {

// Where one part of a container stands, as the loop thread last heard from the worker.
enum class AttachState {
  None,      // nothing applied, and nothing asked of the worker for this instance yet
  Pending,   // handed to the attach worker
  Attached,  // applied
  Failed,    // what is wanted could not be applied (logged with the cause)
};
const char* toString(AttachState s);  // "none", "pending", "attached", "failed"

template <typename Request>
struct Applied {
  AttachState state = AttachState::None;
  WantSource from = WantSource::None;  // where what was last asked came from
  std::optional<Request> asked;        // what was last asked (Pending, Attached, Failed)
};

// Why a container is reconciled.
enum class Trigger {
  Changed,    // it started, a job ended, a link or a request changed: nothing failed is retried
  Reload,     // the policies may have changed: what a policy asked for is tried again
  Connected,  // its interfaces changed (a network connected or disconnected): a VRF that takes
              // every interface is attached again, for the new one
};

enum class Step {
  Nothing,  // as wanted, or not netvrfd's to change (a person's attach stays until detached)
  Wait,     // a job is under way: reconcile again once it is done
  Refuse,   // what is wanted cannot be used (its labels are wrong): keep that error
  Attach,   // attach what is wanted
  Detach,   // take back what a policy attached and no policy wants so any more; then decide
            // again (with the part None)
};
const char* toString(Step s);

Step nextStep(const WantedPart<InsideRequest>& want, const Applied<InsideRequest>& applied,
              Trigger why);
Step nextStep(const WantedPart<HostSideRequest>& want, const Applied<HostSideRequest>& applied,
              Trigger why);

// What one interface VRF of a container (Wanted::interfaceVrfs, by VRF name) needs next: attached
// while it is wanted (again when what is wanted changed: a network connected), detached once
// nothing wants it (its last network was disconnected). `want` is null when it is not wanted.
Step nextInterfaceStep(const InsideRequest* want, const Applied<InsideRequest>& applied);

// Whether two requests ask for the same thing (what the worker is given, not how it is named).
bool sameRequest(const InsideRequest& a, const InsideRequest& b);
bool sameRequest(const HostSideRequest& a, const HostSideRequest& b);

}  // namespace netvrf
