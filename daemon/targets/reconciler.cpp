#include "targets/reconciler.hpp"

#include <fcntl.h>

#include <algorithm>
#include <set>

#include "netns/name.hpp"

namespace netvrf {

Reconciler::Reconciler(const NetnsRegistry& registry, Attachments& attachments,
                       const RequestStore& requests, const Config& config, const Networks& networks)
    : registry_(registry),
      attachments_(attachments),
      requests_(requests),
      config_(config),
      networks_(networks) {}

Wanted Reconciler::wanted(const Target& t) const {
  return wantedFor(
      t.b->info, requests_, t.temporary, config_.policies,
      [this, &t](const std::string& id) { return networks_.labelsOf(t.b->info.runtime, id); });
}

void Reconciler::reconcileAll() {
  if (!attachments_.worker()) return;
  for (const auto& [key, b] : registry_.all()) {
    if (b.state != BindingState::Registered) continue;
    Target& t = attachments_.target(key);
    reconcile(key, t, Trigger::Reload);
    attachments_.changed(t);
  }
}

void Reconciler::reconcileLater(const std::string& key, Target& t) {
  if (!t.again || t.anyPending()) return;
  Trigger why = *std::exchange(t.again, std::nullopt);
  reconcile(key, t, why);
}

void Reconciler::reconcile(const std::string& key, Target& t, Trigger why) {
  if (!attachments_.worker() || t.b->state != BindingState::Registered) return;
  Wanted w = wanted(t);
  log::Fields fields = fieldsOf(t.b->info, t.b->entry);
  Step inside = nextStep(w.inside, {t.attach, t.insideFrom, t.insideAsked}, why);
  Step host = nextStep(w.host, {t.hostAttach, t.hostFrom, t.hostLeg}, why);
  if (inside == Step::Wait || host == Step::Wait)
    t.again = t.again == Trigger::Reload ? Trigger::Reload : why;
  reconcileInterfaceVrfs(key, t, w);

  if (inside == Step::Detach) {
    log::info(describe(t.b->info) + ": VRF " + t.vrf +
                  " came from a policy that no longer asks for it; detaching it",
              fields);
    try {
      attachments_.detach(key, t, attachments_.openEntry(t), t.vrf, nullptr);
      t.attach = AttachState::None;  // what is wanted now is queued after the detach
      inside = nextStep(w.inside, {t.attach, t.insideFrom, t.insideAsked}, why);
    } catch (const std::system_error& e) {
      attachments_.warn(t, std::string("not detached: ") + e.what(), fields);
      inside = Step::Nothing;
    }
  }
  if (host == Step::Detach) {
    log::info(describe(t.b->info) + ": its leg into host VRF " + t.hostLeg->vrf +
                  " came from a policy that no longer asks for it; removing it",
              fields);
    attachments_.detachHostLeg(t);
    host = nextStep(w.host, {t.hostAttach, t.hostFrom, t.hostLeg}, why);
  }

  if (inside == Step::Refuse) {
    t.attach = AttachState::Failed;
    attachments_.warn(t, "not attached: " + w.inside.error, fields);
  }
  if (host == Step::Refuse) {
    t.hostAttach = AttachState::Failed;
    if (w.host.error != w.inside.error || inside != Step::Refuse)
      attachments_.warn(t, "not attached: " + w.host.error, fields);
  }
  if (inside == Step::Refuse || host == Step::Refuse) attachments_.changed(t);  // shows the error
  if (inside == Step::Nothing && t.attach == AttachState::None &&
      w.inside.source == WantSource::Detached)
    log::info(describe(t.b->info) +
                  ": kept out of VRFs: a detach is stored for it "
                  "(netvrfctl attach undoes it)",
              fields);
  if (inside != Step::Attach && host != Step::Attach) return;

  Fd netns;
  try {
    netns = attachments_.openEntry(t);
  } catch (const std::system_error& e) {
    if (inside == Step::Attach) t.attach = AttachState::Failed;
    if (host == Step::Attach) t.hostAttach = AttachState::Failed;
    attachments_.warn(t, std::string("not attached: ") + e.what(), fields);
    attachments_.changed(t);
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
    log::info(
        describe(t.b->info) + ": attaching to VRF " + w.inside.request->vrf + because(w.inside),
        fields);
    t.insideFrom = w.inside.source;
    // Routes set only after its VRF was taken away behind our back.
    attachments_.attach(key, t, forJob(), std::move(*w.inside.request), t.vrfRoutes, nullptr);
  }
  if (host == Step::Attach) {
    log::info(describe(t.b->info) + ": attaching to host VRF " + w.host.request->vrf + " through " +
                  w.host.request->hostIfname + because(w.host),
              fields);
    t.hostFrom = w.host.source;
    attachments_.attachHost(key, t, std::move(netns), std::move(*w.host.request), nullptr);
  }
}

void Reconciler::reconcileInterfaceVrfs(const std::string& key, Target& t, const Wanted& w) {
  log::Fields fields = fieldsOf(t.b->info, t.b->entry);
  if (!w.interfaceError.empty() && w.interfaceError != t.lastError)
    attachments_.warn(t, w.interfaceError, fields);
  std::set<std::string> vrfs;
  for (const auto& p : w.interfaceVrfs) vrfs.insert(p.request.vrf);
  for (const auto& [vrf, p] : t.interfaceParts) vrfs.insert(vrf);
  for (const auto& vrf : vrfs) {
    auto wantIt = std::find_if(w.interfaceVrfs.begin(), w.interfaceVrfs.end(),
                               [&](const InterfaceVrf& p) { return p.request.vrf == vrf; });
    const InterfaceVrf* want = wantIt == w.interfaceVrfs.end() ? nullptr : &*wantIt;
    Target::InterfacePart& part = t.interfaceParts[vrf];
    if (part.heldOut) continue;
    Step step = nextInterfaceStep(want ? &want->request : nullptr,
                                  {part.state, WantSource::Label, part.asked});
    if (step == Step::Wait) {
      if (!t.again) t.again = Trigger::Changed;
      continue;
    }
    if (step == Step::Nothing) {
      if (!want && part.state != AttachState::Attached) t.interfaceParts.erase(vrf);
      continue;
    }
    Fd netns;
    try {
      netns = attachments_.openEntry(t);
    } catch (const std::system_error& e) {
      part.state = AttachState::Failed;
      attachments_.warn(t, "VRF " + vrf + ": " + e.what(), fields);
      continue;
    }
    if (step == Step::Detach) {
      log::info(describe(t.b->info) + ": VRF " + vrf +
                    (want ? " is no longer the default for unbound sockets; detaching it first"
                          : ": no network or label asks for it any more; detaching it"),
                fields);
      part.state = AttachState::None;
      Fd forDetach(fcntl(netns.get(), F_DUPFD_CLOEXEC, 0));
      attachments_.detach(key, t, std::move(forDetach), vrf, nullptr);
      if (!want) continue;
    }
    std::string from;
    for (const auto& f : want->from) from += (from.empty() ? "" : ", ") + f;
    log::info(describe(t.b->info) + ": attaching to VRF " + vrf + " (" + from + ")", fields);
    attachments_.attachInterfaceVrf(key, t, std::move(netns), want->request);
  }
}

}  // namespace netvrf
