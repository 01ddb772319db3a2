#include "targets/attachments.hpp"

#include <algorithm>

#include "netns/name.hpp"

namespace netvrf {

Attachments::Attachments(const NetnsRegistry& registry, Events events)
    : registry_(registry), events_(std::move(events)) {}

bool Target::anyPending() const {
  if (attach == AttachState::Pending || hostAttach == AttachState::Pending) return true;
  return std::any_of(interfaceParts.begin(), interfaceParts.end(),
                     [](const auto& kv) { return kv.second.state == AttachState::Pending; });
}

bool Target::anyInterfaceVrfAttached() const {
  return std::any_of(interfaceParts.begin(), interfaceParts.end(),
                     [](const auto& kv) { return kv.second.state == AttachState::Attached; });
}

Target& Attachments::target(const std::string& key) {
  Target& t = targets_[key];
  t.b = registry_.find(key);
  return t;
}

Target* Attachments::find(const std::string& key) {
  auto it = targets_.find(key);
  return it == targets_.end() ? nullptr : &it->second;
}

const Target* Attachments::find(const std::string& key) const {
  auto it = targets_.find(key);
  return it == targets_.end() ? nullptr : &it->second;
}

Target* Attachments::instance(const std::string& key, pid_t pid) {
  Target* t = find(key);
  if (!t || t->b->pin.pid != pid || t->b->state != BindingState::Registered) return nullptr;
  return t;
}

size_t Attachments::attached() const {
  size_t n = 0;
  for (const auto& [key, t] : targets_)
    n += t.attach == AttachState::Attached || t.hostAttach == AttachState::Attached;
  return n;
}

void Attachments::warn(Target& t, const std::string& what, const log::Fields& fields,
                       const std::source_location& where) {
  t.lastError = what;
  t.lastErrorAt = std::chrono::system_clock::now();
  log::write(LOG_WARNING, describe(t.b->info) + ": " + what, fields, where);
}

void Attachments::attach(const std::string& key, Target& t, Fd netns, InsideRequest req,
                         std::shared_ptr<const RouteSnapshot> restore, Then<InsideResult> reply) {
  t.attach = AttachState::Pending;
  t.insideAsked = req;
  std::string vrf = req.vrf;
  job::Attach j{
      std::move(netns), describe(t.b->info), std::move(req), true, std::move(restore), {}};
  j.then = [this, key, pid = t.b->pin.pid, vrf, reply](Done<job::Attach::Result> d) {
    insideAttached(key, pid, vrf, d);
    if (reply) {
      Done<InsideResult> r{std::nullopt, d.error, d.errorKind};
      if (d) r.value = d.value->attached;
      reply(std::move(r));
    }
    jobDone(key, pid);
  };
  worker_->submit(std::move(j));
}

void Attachments::attachInterfaceVrf(const std::string& key, Target& t, Fd netns,
                                     const InsideRequest& req) {
  Target::InterfacePart& part = t.interfaceParts[req.vrf];
  part.state = AttachState::Pending;
  part.asked = req;
  job::Attach j{std::move(netns), describe(t.b->info), req, true, nullptr, {}};
  j.then = [this, key, pid = t.b->pin.pid, vrf = req.vrf](Done<job::Attach::Result> d) {
    interfaceAttached(key, pid, vrf, d);
    jobDone(key, pid);
  };
  worker_->submit(std::move(j));
}

void Attachments::attachHost(const std::string& key, Target& t, Fd netns, HostSideRequest leg,
                             Then<HostSideResult> reply) {
  t.hostAttach = AttachState::Pending;
  t.hostLeg = leg;
  std::string vrf = leg.vrf;
  worker_->submit(
      job::AttachHost{std::move(netns), describe(t.b->info), std::move(leg),
                      [this, key, pid = t.b->pin.pid, vrf, reply](Done<HostSideResult> d) {
                        hostAttached(key, pid, vrf, d);
                        if (reply) reply(std::move(d));
                        jobDone(key, pid);
                      }});
}

void Attachments::detach(const std::string& key, Target& t, Fd netns,
                         std::optional<std::string> vrf, Then<InsideDetachResult> reply) {
  std::string which = vrf.value_or("");
  worker_->submit(
      job::Detach{std::move(netns), describe(t.b->info), std::move(vrf),
                  [this, key, pid = t.b->pin.pid, which, reply](Done<InsideDetachResult> d) {
                    detached(key, pid, which, d);
                    if (reply) reply(std::move(d));
                    jobDone(key, pid);
                  }});
}

void Attachments::detachHostLeg(Target& t, Then<bool> reply) {
  if (!t.hostLeg || !worker_) return;
  if (t.hostAttach == AttachState::Pending || t.hostAttach == AttachState::Attached || reply) {
    std::string vrf = t.hostLeg->vrf;
    worker_->submit(job::DetachHost{*t.hostLeg, [vrf, reply](Done<bool> d) {
                                      if (!d)
                                        log::warning(
                                            "cannot remove a container's leg into host "
                                            "VRF " +
                                                vrf + ": " + d.error,
                                            {{"VRF", vrf}});
                                      if (reply) reply(std::move(d));
                                    }});
  }
  t.hostLeg.reset();
  t.hostAttach = AttachState::None;
}

// After a job's outcome changed the state and its caller was answered: what changed while it
// was under way is reconciled now.
void Attachments::jobDone(const std::string& key, pid_t pid) {
  if (Target* t = instance(key, pid); t && events_.jobDone) events_.jobDone(key, *t);
}

Target* Attachments::outcomeFor(const std::string& key, pid_t pid, const char* what,
                                const std::string& vrf, const std::string& error) {
  Target* t = instance(key, pid);
  if (!t && what)
    log::info("a container exited before its " + std::string(what) + " VRF " + vrf + " finished" +
              (error.empty() ? "" : " (" + error + ")"));
  return t;
}

namespace {
log::Fields fieldsWithVrf(const Target& t, const std::string& vrf) {
  log::Fields fields = fieldsOf(t.b->info, t.b->entry);
  fields.emplace_back("VRF", vrf);
  return fields;
}
}  // namespace

std::string Attachments::attachedText(const std::string& vrf, const InsideResult& r) {
  std::string ifs;
  for (const auto& i : r.interfaces) ifs += (ifs.empty() ? "" : ", ") + i;
  return "attached to VRF " + vrf + " (table " + std::to_string(r.vrf.table) + ")" +
         (ifs.empty() ? "" : ": " + ifs) + "; " + std::to_string(r.routesMoved) + " routes moved";
}

void Attachments::insideAttached(const std::string& key, pid_t pid, const std::string& vrf,
                                 const Done<job::Attach::Result>& d) {
  Target* current = outcomeFor(key, pid, "attach to", vrf, d.error);
  if (!current) return;
  Target& t = *current;
  log::Fields fields = fieldsWithVrf(t, vrf);
  if (!d) {
    t.attach = AttachState::Failed;
    if (events_.ownVrfLeft) events_.ownVrfLeft(key, t);
    warn(t, "not attached: " + d.error, fields);
    changed(t);  // with the error just kept
    return;
  }
  const InsideResult& r = d.value->attached;
  t.attach = AttachState::Attached;
  t.vrf = vrf;
  t.table = r.vrf.table;
  t.interfaces = r.interfaces;
  t.vrfRoutes = d.value->routes;
  if (events_.attachedInside) events_.attachedInside(key, t);
  changed(t);
  log::info(describe(t.b->info) + ": " + attachedText(vrf, r), fields);
  summaryChanged();
}

void Attachments::interfaceAttached(const std::string& key, pid_t pid, const std::string& vrf,
                                    const Done<job::Attach::Result>& d) {
  Target* current = instance(key, pid);
  if (!current) return;
  Target& t = *current;
  auto it = t.interfaceParts.find(vrf);
  if (it == t.interfaceParts.end()) return;
  Target::InterfacePart& part = it->second;
  log::Fields fields = fieldsWithVrf(t, vrf);
  if (!d) {
    part.state = AttachState::Failed;
    warn(t, "not attached to VRF " + vrf + ": " + d.error, fields);
    changed(t);
    return;
  }
  const InsideResult& r = d.value->attached;
  part.state = AttachState::Attached;
  part.table = r.vrf.table;
  part.interfaces = r.interfaces;
  if (events_.attachedInside) events_.attachedInside(key, t);
  log::info(describe(t.b->info) + ": " + attachedText(vrf, r) +
                (part.asked && !part.asked->strict ? "; it takes unbound sockets" : ""),
            fields);
  changed(t);
  summaryChanged();
}

void Attachments::hostAttached(const std::string& key, pid_t pid, const std::string& vrf,
                               const Done<HostSideResult>& d) {
  Target* current = outcomeFor(key, pid, "attach to host", vrf, d.error);
  if (!current) return;
  Target& t = *current;
  log::Fields fields = fieldsWithVrf(t, vrf);
  if (!d) {
    t.hostAttach = AttachState::Failed;
    warn(t, "not attached to host VRF " + vrf + ": " + d.error, fields);
    changed(t);
    return;
  }
  t.hostAttach = AttachState::Attached;
  changed(t);
  std::string routes;
  for (const auto& r : d.value->defaultRoutes) routes += "; " + r;
  log::info(describe(t.b->info) + ": attached to host VRF " + vrf + " (table " +
                std::to_string(d.value->vrf.table) + ") through " +
                (t.hostLeg ? t.hostLeg->hostIfname + "/" + t.hostLeg->containerIfname : "") +
                routes,
            fields);
  summaryChanged();
}

void Attachments::detached(const std::string& key, pid_t pid, const std::string& vrf,
                           const Done<InsideDetachResult>& d) {
  Target* current = outcomeFor(key, pid, "detach from", vrf, d.error);
  if (!current) return;
  Target& t = *current;
  log::Fields fields = fieldsWithVrf(t, vrf);
  if (!d) {
    warn(t, "not detached: " + d.error, fields);
    changed(t);
    return;
  }
  // Its interface VRFs that left (all of them, asked for every VRF): forgotten, or kept as held
  // out when asked over the API.
  std::vector<std::string> left = d.value->vrfs;
  if (vrf.empty())
    for (const auto& [v, p] : t.interfaceParts) left.push_back(v);
  else
    left.push_back(vrf);  // also when it was not there any more
  for (const auto& v : left) {
    auto p = t.interfaceParts.find(v);
    if (p == t.interfaceParts.end() || p->second.state == AttachState::Pending) continue;
    if (!p->second.heldOut) {
      t.interfaceParts.erase(p);
      continue;
    }
    p->second.state = AttachState::None;
    p->second.asked.reset();
    p->second.interfaces.clear();
    p->second.table = 0;
  }
  bool ownVrf =
      std::find(d.value->vrfs.begin(), d.value->vrfs.end(), t.vrf) != d.value->vrfs.end() ||
      (vrf.empty() && !d.value->vrfs.empty());
  if (t.attach == AttachState::Pending) {  // a reload: the attach now wanted is queued
    log::info(describe(t.b->info) + ": detached from VRF " + vrf + ", as no policy asks for it",
              fields);
    return;
  }
  if (d.value->vrfs.empty()) return;
  if (!ownVrf) {
    log::info(describe(t.b->info) + ": detached from VRF " + vrf, fields);
    changed(t);
    return;
  }
  t.vrfRoutes.reset();
  t.leftOwnVrf();
  if (events_.ownVrfLeft) events_.ownVrfLeft(key, t);
  std::string vrfs;
  for (const auto& v : d.value->vrfs) vrfs += (vrfs.empty() ? "" : ", ") + v;
  log::info(describe(t.b->info) + ": detached from VRF " + vrfs, fields);
  changed(t);
}

}  // namespace netvrf
