// The Manager's one reconcile step: whatever changed about a container (it started, a job of
// it ended, its links changed behind netvrfd's back, the policies were reloaded), each of its
// parts is brought to what it wants now. What to do is decided by targets/reconcile.hpp; this
// file only carries it out.
#include <fcntl.h>

#include "manager.hpp"

namespace netvrf {

void Manager::reconcileAll() {
  if (!worker_) return;
  for (auto& [key, c] : containers_) {
    if (c.state != BindingState::Registered) continue;
    reconcile(key, c, Trigger::Reload);
    containerChanged(c);
  }
  changed();
}

void Manager::reconcileLater(const std::string& key, Container& c) {
  if (!c.again || c.attach == AttachState::Pending || c.hostAttach == AttachState::Pending) return;
  Trigger why = *std::exchange(c.again, std::nullopt);
  reconcile(key, c, why);
}

void Manager::reconcile(const std::string& key, Container& c, Trigger why) {
  if (!worker_ || c.state != BindingState::Registered) return;
  Wanted w = wanted(c);
  log::Fields fields = fieldsOf(c.info, c.entry);
  Step inside = nextStep(w.inside, {c.attach, c.insideFrom, c.insideAsked}, why);
  Step host = nextStep(w.host, {c.hostAttach, c.hostFrom, c.hostLeg}, why);
  if (inside == Step::Wait || host == Step::Wait)
    c.again = c.again == Trigger::Reload ? Trigger::Reload : why;

  if (inside == Step::Detach) {
    log::info(describe(c.info) + ": VRF " + c.vrf +
                  " came from a policy that no longer asks for it; detaching it",
              fields);
    try {
      submitDetach(key, c, openEntry(c), c.vrf, nullptr);
      c.attach = AttachState::None;  // what is wanted now is queued after the detach
      inside = nextStep(w.inside, {c.attach, c.insideFrom, c.insideAsked}, why);
    } catch (const std::system_error& e) {
      warn(c, std::string("not detached: ") + e.what(), fields);
      inside = Step::Nothing;
    }
  }
  if (host == Step::Detach) {
    log::info(describe(c.info) + ": its leg into host VRF " + c.hostLeg->vrf +
                  " came from a policy that no longer asks for it; removing it",
              fields);
    detachHostLeg(c);
    host = nextStep(w.host, {c.hostAttach, c.hostFrom, c.hostLeg}, why);
  }

  if (inside == Step::Refuse) {
    c.attach = AttachState::Failed;
    warn(c, "not attached: " + w.inside.error, fields);
  }
  if (host == Step::Refuse) {
    c.hostAttach = AttachState::Failed;
    if (w.host.error != w.inside.error || inside != Step::Refuse)
      warn(c, "not attached: " + w.host.error, fields);
  }
  if (inside == Step::Refuse || host == Step::Refuse) containerChanged(c);  // shows the error
  if (inside == Step::Nothing && c.attach == AttachState::None &&
      w.inside.source == WantSource::Detached)
    log::info(describe(c.info) +
                  ": kept out of VRFs: a detach is stored for it "
                  "(netvrfctl attach undoes it)",
              fields);
  if (inside != Step::Attach && host != Step::Attach) return;

  Fd netns;
  try {
    netns = openEntry(c);
  } catch (const std::system_error& e) {
    if (inside == Step::Attach) c.attach = AttachState::Failed;
    if (host == Step::Attach) c.hostAttach = AttachState::Failed;
    warn(c, std::string("not attached: ") + e.what(), fields);
    containerChanged(c);
    return;
  }
  // Each job holds the namespace open while it runs; a second one gets a copy of the fd.
  bool both = inside == Step::Attach && host == Step::Attach;
  auto forJob = [&] {
    return both ? Fd(fcntl(netns.get(), F_DUPFD_CLOEXEC, 0)) : std::move(netns);
  };
  auto because = [](const auto& part) {
    return part.source == WantSource::Label ? std::string() : " (" + part.from() + ")";
  };
  if (inside == Step::Attach) {
    log::info(describe(c.info) + ": attaching to VRF " + w.inside.request->vrf + because(w.inside),
              fields);
    c.insideFrom = w.inside.source;
    // Routes set only after its VRF was taken away behind our back.
    submitAttach(key, c, forJob(), std::move(*w.inside.request), c.vrfRoutes, nullptr);
  }
  if (host == Step::Attach) {
    log::info(describe(c.info) + ": attaching to host VRF " + w.host.request->vrf + " through " +
                  w.host.request->hostIfname + because(w.host),
              fields);
    c.hostFrom = w.host.source;
    submitAttachHost(key, c, std::move(netns), std::move(*w.host.request), nullptr);
  }
}

}  // namespace netvrf
