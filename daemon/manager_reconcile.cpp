// The Manager's one reconcile step: whatever changed about a container (it started, a job of
// it ended, its links changed behind netvrfd's back, the policies were reloaded), each of its
// parts is brought to what it wants now. What to do is decided by targets/reconcile.hpp; this
// file only carries it out.
#include <fcntl.h>

#include <algorithm>
#include <set>

#include "manager.hpp"

namespace netvrf {

void Manager::reconcileAll() {
  if (!worker_) return;
  for (const auto& [key, b] : registry_.all()) {
    if (b.state != BindingState::Registered) continue;
    Container& c = target(key);
    reconcile(key, c, Trigger::Reload);
    containerChanged(c);
  }
  changed();
}

Wanted Manager::wanted(const Container& c) const {
  return wantedFor(c.b->info, requests_, c.temporary, config_.policies,
                   [this, &c](const std::string& id) {
                     return networks_.labelsOf(c.b->info.runtime, id);
                   });
}

bool Manager::anyPending(const Container& c) {
  if (c.attach == AttachState::Pending || c.hostAttach == AttachState::Pending) return true;
  for (const auto& [vrf, p] : c.interfaceParts)
    if (p.state == AttachState::Pending) return true;
  return false;
}

void Manager::reconcileLater(const std::string& key, Container& c) {
  if (!c.again || anyPending(c)) return;
  Trigger why = *std::exchange(c.again, std::nullopt);
  reconcile(key, c, why);
}

void Manager::reconcile(const std::string& key, Container& c, Trigger why) {
  if (!worker_ || c.b->state != BindingState::Registered) return;
  Wanted w = wanted(c);
  log::Fields fields = fieldsOf(c.b->info, c.b->entry);
  Step inside = nextStep(w.inside, {c.attach, c.insideFrom, c.insideAsked}, why);
  Step host = nextStep(w.host, {c.hostAttach, c.hostFrom, c.hostLeg}, why);
  if (inside == Step::Wait || host == Step::Wait)
    c.again = c.again == Trigger::Reload ? Trigger::Reload : why;
  reconcileInterfaceVrfs(key, c, w);

  if (inside == Step::Detach) {
    log::info(describe(c.b->info) + ": VRF " + c.vrf +
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
    log::info(describe(c.b->info) + ": its leg into host VRF " + c.hostLeg->vrf +
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
    log::info(describe(c.b->info) +
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
    log::info(describe(c.b->info) + ": attaching to VRF " + w.inside.request->vrf + because(w.inside),
              fields);
    c.insideFrom = w.inside.source;
    // Routes set only after its VRF was taken away behind our back.
    submitAttach(key, c, forJob(), std::move(*w.inside.request), c.vrfRoutes, nullptr);
  }
  if (host == Step::Attach) {
    log::info(describe(c.b->info) + ": attaching to host VRF " + w.host.request->vrf + " through " +
                  w.host.request->hostIfname + because(w.host),
              fields);
    c.hostFrom = w.host.source;
    submitAttachHost(key, c, std::move(netns), std::move(*w.host.request), nullptr);
  }
}

void Manager::reconcileInterfaceVrfs(const std::string& key, Container& c, const Wanted& w) {
  log::Fields fields = fieldsOf(c.b->info, c.b->entry);
  if (!w.interfaceError.empty() && w.interfaceError != c.lastError)
    warn(c, w.interfaceError, fields);
  std::set<std::string> vrfs;
  for (const auto& p : w.interfaceVrfs) vrfs.insert(p.request.vrf);
  for (const auto& [vrf, p] : c.interfaceParts) vrfs.insert(vrf);
  for (const auto& vrf : vrfs) {
    auto wantIt = std::find_if(w.interfaceVrfs.begin(), w.interfaceVrfs.end(),
                               [&](const InterfaceVrf& p) { return p.request.vrf == vrf; });
    const InterfaceVrf* want = wantIt == w.interfaceVrfs.end() ? nullptr : &*wantIt;
    Container::InterfacePart& part = c.interfaceParts[vrf];
    if (part.heldOut) continue;
    Step step = nextInterfaceStep(want ? &want->request : nullptr,
                                  {part.state, WantSource::Label, part.asked});
    if (step == Step::Wait) {
      if (!c.again) c.again = Trigger::Changed;
      continue;
    }
    if (step == Step::Nothing) {
      if (!want && part.state != AttachState::Attached) c.interfaceParts.erase(vrf);
      continue;
    }
    Fd netns;
    try {
      netns = openEntry(c);
    } catch (const std::system_error& e) {
      part.state = AttachState::Failed;
      warn(c, "VRF " + vrf + ": " + e.what(), fields);
      continue;
    }
    if (step == Step::Detach) {
      log::info(describe(c.b->info) + ": VRF " + vrf +
                    (want ? " is no longer the default for unbound sockets; detaching it first"
                          : ": no network or label asks for it any more; detaching it"),
                fields);
      part.state = AttachState::None;
      Fd forDetach(fcntl(netns.get(), F_DUPFD_CLOEXEC, 0));
      submitDetach(key, c, std::move(forDetach), vrf, nullptr);
      if (!want) continue;
    }
    std::string from;
    for (const auto& f : want->from) from += (from.empty() ? "" : ", ") + f;
    log::info(describe(c.b->info) + ": attaching to VRF " + vrf + " (" + from + ")", fields);
    part.state = AttachState::Pending;
    part.asked = want->request;
    job::Attach j{std::move(netns), describe(c.b->info), want->request, true, nullptr, {}};
    j.then = [this, key, pid = c.b->pin.pid, vrf](Done<job::Attach::Result> d) {
      interfaceAttached(key, pid, vrf, d);
      jobDone(key, pid);
    };
    worker_->submit(std::move(j));
  }
}

void Manager::interfaceAttached(const std::string& key, pid_t pid, const std::string& vrf,
                                const Done<job::Attach::Result>& d) {
  Container* current = instance(key, pid);
  if (!current) return;
  Container& c = *current;
  auto it = c.interfaceParts.find(vrf);
  if (it == c.interfaceParts.end()) return;
  Container::InterfacePart& part = it->second;
  log::Fields fields = fieldsOf(c.b->info, c.b->entry);
  fields.emplace_back("VRF", vrf);
  if (!d) {
    part.state = AttachState::Failed;
    warn(c, "not attached to VRF " + vrf + ": " + d.error, fields);
    containerChanged(c);
    return;
  }
  const InsideResult& r = d.value->attached;
  part.state = AttachState::Attached;
  part.table = r.vrf.table;
  part.interfaces = r.interfaces;
  if (!links_.watching(key)) watchLinks(key, c);
  log::info(describe(c.b->info) + ": " + attachedText(vrf, r) +
                (part.asked && !part.asked->strict ? "; it takes unbound sockets" : ""),
            fields);
  containerChanged(c);
  changed();
}

}  // namespace netvrf
