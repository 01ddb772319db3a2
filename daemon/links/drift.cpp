#include "links/drift.hpp"

#include <algorithm>

#include "netns/name.hpp"

namespace netvrf {

namespace {

std::string joined(const std::vector<std::string>& v) {
  std::string out;
  for (const auto& s : v) out += (out.empty() ? "" : ", ") + s;
  return out;
}

// The interfaces that were enslaved and someone took out (not those that no longer exist: their
// network was disconnected, and the runtime's event says so).
std::vector<std::string> released(const std::vector<std::string>& was, const CheckResult& found) {
  std::vector<std::string> gone;
  for (const auto& i : was)
    if (std::find(found.enslaved.begin(), found.enslaved.end(), i) == found.enslaved.end() &&
        std::find(found.deleted.begin(), found.deleted.end(), i) == found.deleted.end())
      gone.push_back(i);
  return gone;
}
}  // namespace

Drift::Drift(EventLoop& loop, Attachments& attachments, Reconciler& reconciler, Networks& networks,
             std::function<void()> hostLinksChanged)
    : attachments_(attachments),
      reconciler_(reconciler),
      networks_(networks),
      links_(
          loop, [this](const std::string& key) { check(key); }, std::move(hostLinksChanged)) {}

void Drift::follow(const std::string& key, const Target& t) {
  if (links_.watching(key)) return;
  try {
    links_.watch(key, attachments_.openEntry(t).get());
  } catch (const std::system_error& e) {
    log::warning(describe(t.b->info) + ": cannot follow the links of its namespace: " + e.what() +
                     "; a VRF deleted behind netvrfd's back will go unnoticed",
                 fieldsOf(t.b->info, t.b->entry));
  }
}

void Drift::unfollow(const std::string& key, const Target& t) {
  if (!t.anyInterfaceVrfAttached()) links_.stop(key);
}

void Drift::followHost() {
  try {
    links_.watchHost();
  } catch (const std::system_error& e) {
    log::warning(std::string("cannot follow the host's links: ") + e.what() +
                 "; host VRFs changed by others show only at the next change netvrfd makes");
  }
}

void Drift::check(const std::string& key) {
  Target* t = attachments_.find(key);
  Worker* worker = attachments_.worker();
  if (!t || t->b->state != BindingState::Registered || !worker) return;
  pid_t pid = t->b->pin.pid;
  auto check = [&](const std::string& vrf, const std::vector<std::string>& interfaces,
                   uint32_t table, Then<CheckResult> then) {
    try {
      worker->submit(
          job::Check{attachments_.openEntry(*t), vrf, interfaces, table, true, std::move(then)});
    } catch (const std::system_error&) {
      // It is going: its exit is handled on its own.
    }
  };
  for (const auto& [vrf, p] : t->interfaceParts)
    if (p.state == AttachState::Attached)
      check(vrf, p.interfaces, p.table,
            [this, key, pid, vrf](Done<CheckResult> d) { interfaceVrfChecked(key, pid, vrf, d); });
  if (t->attach == AttachState::Attached)
    check(t->vrf, t->interfaces, t->table,
          [this, key, pid, vrf = t->vrf](Done<CheckResult> d) { ownVrfChecked(key, pid, vrf, d); });
}

// An interface VRF someone deleted, or an interface someone took out of it: what is wanted is
// attached again (its networks and labels still ask for it).
void Drift::interfaceVrfChecked(const std::string& key, pid_t pid, const std::string& vrf,
                                const Done<CheckResult>& d) {
  Target* current = attachments_.instance(key, pid);
  if (!current || !d) return;
  Target& t = *current;
  auto it = t.interfaceParts.find(vrf);
  if (it == t.interfaceParts.end() || it->second.state != AttachState::Attached) return;
  Target::InterfacePart& part = it->second;
  std::vector<std::string> gone = released(part.interfaces, *d.value);
  if (d.value->vrf && gone.empty()) {
    if (!d.value->deleted.empty()) {
      part.interfaces = d.value->enslaved;
      attachments_.changed(t);
    }
    return;
  }
  log::Fields fields = fieldsOf(t.b->info, t.b->entry);
  fields.emplace_back("VRF", vrf);
  attachments_.warn(
      t,
      (!d.value->vrf ? "VRF " + vrf + " was deleted" : joined(gone) + " left VRF " + vrf) +
          " behind netvrfd's back; attaching it again, as its networks and labels ask",
      fields);
  part.state = AttachState::None;
  part.asked.reset();
  part.interfaces.clear();
  attachments_.changed(t);
  reconciler_.reconcile(key, t);
}

void Drift::ownVrfChecked(const std::string& key, pid_t pid, const std::string& vrf,
                          const Done<CheckResult>& d) {
  Target* current = attachments_.find(key);
  // Asked about an instance or an attachment that is no longer the current one.
  if (!current || !d || current->b->pin.pid != pid || current->attach != AttachState::Attached ||
      current->vrf != vrf)
    return;
  Target& t = *current;
  const CheckResult& found = *d.value;
  std::vector<std::string> gone = released(t.interfaces, found);
  if (found.vrf && gone.empty()) {
    if (!found.deleted.empty()) {
      t.interfaces = found.enslaved;
      attachments_.changed(t);
    }
    return;
  }
  Wanted w = reconciler_.wanted(t);
  bool again = w.inside.request.has_value();
  std::string asked = w.inside.source == WantSource::Label     ? "as its labels ask"
                      : w.inside.source == WantSource::Request ? "as its stored request asks"
                                                               : "as asked for this instance";
  log::Fields fields = fieldsOf(t.b->info, t.b->entry);
  fields.emplace_back("VRF", t.vrf);
  std::string what =
      !found.vrf ? "VRF " + t.vrf + " was deleted" : joined(gone) + " left VRF " + t.vrf;
  attachments_.warn(
      t, what + " behind netvrfd's back" + (again ? "; attaching it again, " + asked : ""), fields);
  if (!found.vrf) {
    t.leftOwnVrf();
    unfollow(key, t);
  } else {
    t.interfaces = found.enslaved;
  }
  attachments_.changed(t);
  attachments_.summaryChanged();
  if (!again) return;
  unfollow(key, t);  // followed again once attached again
  t.attach = AttachState::None;
  reconciler_.reconcile(key, t);
}

void Drift::hostVrfsListed(const std::vector<HostVrf>& vrfs) {
  auto inVrf = [&](const std::string& vrf, const std::string& ifname) {
    for (const auto& v : vrfs)
      if (v.name == vrf)
        return std::find(v.interfaces.begin(), v.interfaces.end(), ifname) != v.interfaces.end();
    return false;
  };
  auto vrfThere = [&](const std::string& vrf) {
    return std::any_of(vrfs.begin(), vrfs.end(), [&](const HostVrf& v) { return v.name == vrf; });
  };
  auto cause = [&](const std::string& vrf, const std::string& ifname) {
    return vrfThere(vrf) ? ifname + " left VRF " + vrf : "VRF " + vrf + " was deleted";
  };
  bool any = networks_.checkAgainst(vrfs);
  for (auto& [key, t] : attachments_.all()) {
    if (t.hostAttach != AttachState::Attached || !t.hostLeg ||
        inVrf(t.hostLeg->vrf, t.hostLeg->hostIfname))
      continue;
    any = true;
    attachments_.warn(t,
                      cause(t.hostLeg->vrf, t.hostLeg->hostIfname) +
                          " behind netvrfd's back; its leg is removed and made again if its "
                          "labels ask for one",
                      fieldsOf(t.b->info, t.b->entry));
    attachments_.detachHostLeg(t);
    attachments_.changed(t);
    reconciler_.reconcile(key, t);
  }
  if (any) attachments_.summaryChanged();
}

}  // namespace netvrf
