// The Manager and changes behind its back: a VRF deleted, an interface released or deleted by
// someone else. Link notifications only say that something changed; a check then reads the
// kernel's state (on the attach worker, after any job already queued), and a difference is
// reported, shown on the bus, and attached again where a label asks for it.
#include <fcntl.h>

#include <algorithm>

#include "attach/labels.hpp"
#include "common/error.hpp"
#include "manager.hpp"
#include "netlink/in_netns.hpp"

namespace netvrf {

namespace {

std::string joined(const std::vector<std::string>& v) {
  std::string out;
  for (const auto& s : v) out += (out.empty() ? "" : ", ") + s;
  return out;
}
}  // namespace

void Manager::watchLinks(const std::string& key, Container& c) {
  try {
    links_.watch(key, openEntry(c).get());
  } catch (const std::system_error& e) {
    log::warning(describe(c.b->info) + ": cannot follow the links of its namespace: " + e.what() +
                     "; a VRF deleted behind netvrfd's back will go unnoticed",
                 fieldsOf(c.b->info, c.b->entry));
  }
}

void Manager::unwatchLinks(const std::string& key, const Container& c) {
  for (const auto& [vrf, p] : c.interfaceParts)
    if (p.state == AttachState::Attached) return;
  links_.stop(key);
}

void Manager::checkLinks(const std::string& key) {
  auto it = containers_.find(key);
  if (it == containers_.end()) return;
  Container& c = it->second;
  if (c.b->state != BindingState::Registered || !worker_) return;
  pid_t pid = c.b->pin.pid;
  auto check = [&](const std::string& vrf, const std::vector<std::string>& interfaces,
                   uint32_t table, Then<CheckResult> then) {
    try {
      worker_->submit(job::Check{openEntry(c), vrf, interfaces, table, true, std::move(then)});
    } catch (const std::system_error&) {
      // It is going: its exit is handled on its own.
    }
  };
  for (const auto& [vrf, p] : c.interfaceParts)
    if (p.state == AttachState::Attached)
      check(vrf, p.interfaces, p.table, [this, key, pid, vrf](Done<CheckResult> d) {
        interfaceVrfChecked(key, pid, vrf, d);
      });
  if (c.attach == AttachState::Attached)
    check(c.vrf, c.interfaces, c.table, [this, key, pid, vrf = c.vrf](Done<CheckResult> d) {
      linksChecked(key, pid, vrf, d);
    });
}

// An interface VRF someone deleted, or an interface someone took out of it: what is wanted is
// attached again (its networks and labels still ask for it).
void Manager::interfaceVrfChecked(const std::string& key, pid_t pid, const std::string& vrf,
                                  const Done<CheckResult>& d) {
  Container* current = instance(key, pid);
  if (!current || !d) return;
  Container& c = *current;
  auto it = c.interfaceParts.find(vrf);
  if (it == c.interfaceParts.end() || it->second.state != AttachState::Attached) return;
  Container::InterfacePart& part = it->second;
  std::vector<std::string> gone;
  for (const auto& i : part.interfaces)
    if (std::find(d.value->enslaved.begin(), d.value->enslaved.end(), i) ==
        d.value->enslaved.end())
      gone.push_back(i);
  if (d.value->vrf && gone.empty()) return;
  log::Fields fields = fieldsOf(c.b->info, c.b->entry);
  fields.emplace_back("VRF", vrf);
  warn(c,
       (!d.value->vrf ? "VRF " + vrf + " was deleted" : joined(gone) + " left VRF " + vrf) +
           " behind netvrfd's back; attaching it again, as its networks and labels ask",
       fields);
  part.state = AttachState::None;
  part.asked.reset();
  part.interfaces.clear();
  containerChanged(c);
  reconcile(key, c);
}

void Manager::linksChecked(const std::string& key, pid_t pid, const std::string& vrf,
                           const Done<CheckResult>& d) {
  auto it = containers_.find(key);
  if (it == containers_.end()) return;
  Container& c = it->second;
  // Asked about an instance or an attachment that is no longer the current one.
  if (!d || c.b->pin.pid != pid || c.attach != AttachState::Attached || c.vrf != vrf) return;
  const CheckResult& found = *d.value;
  std::vector<std::string> gone;
  for (const auto& i : c.interfaces)
    if (std::find(found.enslaved.begin(), found.enslaved.end(), i) == found.enslaved.end())
      gone.push_back(i);
  if (found.vrf && gone.empty()) return;
  Wanted w = wanted(c);
  bool again = w.inside.request.has_value();
  std::string asked = w.inside.source == WantSource::Label     ? "as its labels ask"
                      : w.inside.source == WantSource::Request ? "as its stored request asks"
                                                               : "as asked for this instance";
  log::Fields fields = fieldsOf(c.b->info, c.b->entry);
  fields.emplace_back("VRF", c.vrf);
  std::string what =
      !found.vrf ? "VRF " + c.vrf + " was deleted" : joined(gone) + " left VRF " + c.vrf;
  warn(c, what + " behind netvrfd's back" +
                   (again ? "; attaching it again, " + asked : ""),
               fields);
  if (!found.vrf) {
    unwatchLinks(key, c);
    c.attach = AttachState::None;
    c.vrf.clear();
    c.table = 0;
    c.interfaces.clear();
  } else {
    c.interfaces = found.enslaved;
  }
  containerChanged(c);
  changed();
  if (!again) return;
  unwatchLinks(key, c);  // watched again once attached again
  c.attach = AttachState::None;
  reconcile(key, c);
}

void Manager::watchHostLinks() {
  try {
    links_.watchHost();
  } catch (const std::system_error& e) {
    log::warning(std::string("cannot follow the host's links: ") + e.what() +
                 "; host VRFs changed by others show only at the next change netvrfd makes");
  }
}

void Manager::refreshHostVrfs() {
  if (worker_) listVrfs(nullptr);
}

// A host VRF that is gone, whoever deleted it, leaves its catch-all routes, which would keep its
// table from the VRF of that name made again. Queued before anything that would make it again.
void Manager::clearHostVrf(const HostVrf& gone) {
  if (!worker_) return;
  Fd host(open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC));
  if (!host) return;
  worker_->submit(job::Check{std::move(host), gone.name, {}, gone.table, false, nullptr});
}

// After each fresh list of the host's VRFs: the networks and legs that were attached must still
// be in theirs.
void Manager::hostVrfsChecked() {
  auto inVrf = [&](const std::string& vrf, const std::string& ifname) {
    for (const auto& v : hostVrfs_)
      if (v.name == vrf)
        return std::find(v.interfaces.begin(), v.interfaces.end(), ifname) != v.interfaces.end();
    return false;
  };
  auto vrfThere = [&](const std::string& vrf) {
    return std::any_of(hostVrfs_.begin(), hostVrfs_.end(),
                       [&](const HostVrf& v) { return v.name == vrf; });
  };
  auto cause = [&](const std::string& vrf, const std::string& ifname) {
    return vrfThere(vrf) ? ifname + " left VRF " + vrf : "VRF " + vrf + " was deleted";
  };
  bool any = networks_.checkAgainst(hostVrfs_);
  for (auto& [key, c] : containers_) {
    if (c.hostAttach != AttachState::Attached || !c.hostLeg ||
        inVrf(c.hostLeg->vrf, c.hostLeg->hostIfname))
      continue;
    any = true;
    warn(c, cause(c.hostLeg->vrf, c.hostLeg->hostIfname) +
                     " behind netvrfd's back; its leg is removed and made again if its labels "
                     "ask for one",
                 fieldsOf(c.b->info, c.b->entry));
    detachHostLeg(c);
    containerChanged(c);
    reconcile(key, c);
  }
  if (any) changed();
}

}  // namespace netvrf
