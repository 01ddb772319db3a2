#include "manager.hpp"

#include <fcntl.h>

#include <algorithm>
#include <cstring>

#include "attach/labels.hpp"
#include "common/error.hpp"
#include "common/log.hpp"
#include "netns/name.hpp"

namespace netvrf {

Manager::Manager(EventLoop& loop, NetnsDir& netnsDir, OwnershipStore& store, RequestStore& requests,
                 const Config& config)
    : loop_(loop),
      netnsDir_(netnsDir),
      requests_(requests),
      config_(config),
      registry_(loop, netnsDir, store, config, registryEvents()),
      networks_([this] { changed(); }),
      links_(
          loop, [this](const std::string& key) { checkLinks(key); },
          [this] { refreshHostVrfs(); }) {
  registry_.onSynced = [this] {
    if (onSynced) onSynced();
  };
}

NetnsRegistry::Events Manager::registryEvents() {
  NetnsRegistry::Events e;
  e.newInstance = [this](const std::string& key) { containers_.erase(key); };
  e.registered = [this](const std::string& key) { registered(key); };
  e.seenAgain = [this](const std::string& key, bool networks, bool connected) {
    seenAgain(key, networks, connected);
  };
  e.unregistered = [this](const std::string& key) { unregistered(key); };
  e.stateChanged = [this](const std::string& key) { bindingChanged(key); };
  e.forgotten = [this](const std::string& key) { forgotten(key); };
  e.changed = [this] { changed(); };
  return e;
}

Manager::Container& Manager::target(const std::string& key) {
  Container& c = containers_[key];
  c.b = registry_.find(key);
  return c;
}

void Manager::registered(const std::string& key) {
  reconcile(key, target(key));
}

void Manager::seenAgain(const std::string& key, bool networks, bool connected) {
  Container& c = target(key);
  // A restarted netvrfd makes sure again; a new interface joins its VRF.
  reconcile(key, c, connected ? Trigger::Connected : Trigger::Changed);
  if (networks) containerChanged(c);
}

void Manager::unregistered(const std::string& key) {
  auto it = containers_.find(key);
  const Binding* b = registry_.find(key);
  if (it != containers_.end()) {
    detachHostLeg(it->second);
    links_.stop(key);
    containers_.erase(it);
  }
  if (onContainerChanged && b) {
    ContainerView v = viewOf(*b, nullptr);
    v.state = "unregistered";
    onContainerChanged(v);
  }
}

void Manager::forgotten(const std::string& key) {
  links_.stop(key);
  containers_.erase(key);
  if (onContainerGone) onContainerGone(key);
}

void Manager::bindingChanged(const std::string& key) {
  const Binding* b = registry_.find(key);
  if (!b || !onContainerChanged) return;
  auto it = containers_.find(key);
  onContainerChanged(viewOf(*b, it == containers_.end() ? nullptr : &it->second));
}

void Manager::containerChanged(const Container& c) {
  if (onContainerChanged) onContainerChanged(viewOf(c));
}

void Manager::warn(Container& c, const std::string& what, const log::Fields& fields,
                   const std::source_location& where) {
  c.lastError = what;
  c.lastErrorAt = std::chrono::system_clock::now();
  log::write(LOG_WARNING, describe(c.b->info) + ": " + what, fields, where);
}

void Manager::changed() {
  if (onChanged) onChanged();
}

void Manager::handle(RuntimeEvent event) {
  std::visit(
      [this](auto&& e) {
        using T = std::decay_t<decltype(e)>;
        if constexpr (std::is_same_v<T, ContainerRunning>)
          registry_.onRunning(std::move(e));
        else if constexpr (std::is_same_v<T, ContainerStopped>)
          registry_.onStopped(keyOf(e.runtime, e.id));
        else if constexpr (std::is_same_v<T, RuntimeSynced>)
          registry_.onRuntimeList(std::move(e));
        else if constexpr (std::is_same_v<T, RuntimeAvailability>)
          registry_.onAvailability(e);
        else if constexpr (std::is_same_v<T, NetworkSeen>)
          networks_.onNetwork(std::move(e.info));
        else if constexpr (std::is_same_v<T, NetworkGone>)
          networks_.onNetworkGone(e.runtime, e.id);
        else
          networks_.onNetworksSynced(std::move(e));
      },
      std::move(event));
}

void Manager::detachHostLeg(Container& c, Then<bool> reply) {
  if (!c.hostLeg || !worker_) return;
  // Asked over the API, it is removed whatever was last heard of it.
  if (c.hostAttach == AttachState::Pending || c.hostAttach == AttachState::Attached || reply) {
    std::string vrf = c.hostLeg->vrf;
    worker_->submit(job::DetachHost{*c.hostLeg, [vrf, reply](Done<bool> d) {
                                      if (!d)
                                        log::warning(
                                            "cannot remove a container's leg into host "
                                            "VRF " +
                                                vrf + ": " + d.error,
                                            {{"VRF", vrf}});
                                      if (reply) reply(std::move(d));
                                    }});
  }
  c.hostLeg.reset();
  c.hostAttach = AttachState::None;
}

void Manager::hostVrfsSeen(const std::vector<HostVrf>& vrfs) {
  if (vrfs == hostVrfs_) return;
  for (const auto& old : hostVrfs_)
    if (std::none_of(vrfs.begin(), vrfs.end(),
                     [&](const HostVrf& v) { return v.name == old.name; }))
      clearHostVrf(old);
  hostVrfs_ = vrfs;
  if (onVrfsChanged) onVrfsChanged(hostVrfs_);
}

void Manager::submitAttach(const std::string& key, Container& c, Fd netns, InsideRequest req,
                           std::shared_ptr<const RouteSnapshot> restore, Then<InsideResult> reply) {
  c.attach = AttachState::Pending;
  c.insideAsked = req;
  std::string vrf = req.vrf;
  job::Attach j{std::move(netns), describe(c.b->info), std::move(req), true, std::move(restore), {}};
  j.then = [this, key, pid = c.b->pin.pid, vrf, reply](Done<job::Attach::Result> d) {
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

void Manager::submitAttachHost(const std::string& key, Container& c, Fd netns, HostSideRequest leg,
                               Then<HostSideResult> reply) {
  c.hostAttach = AttachState::Pending;
  c.hostLeg = leg;
  std::string vrf = leg.vrf;
  worker_->submit(job::AttachHost{std::move(netns), describe(c.b->info), std::move(leg),
                                  [this, key, pid = c.b->pin.pid, vrf, reply](Done<HostSideResult> d) {
                                    hostAttached(key, pid, vrf, d);
                                    if (reply) reply(std::move(d));
                                    jobDone(key, pid);
                                  }});
}

void Manager::submitDetach(const std::string& key, Container& c, Fd netns,
                           std::optional<std::string> vrf, Then<InsideDetachResult> reply) {
  std::string which = vrf.value_or("");
  worker_->submit(
      job::Detach{std::move(netns), describe(c.b->info), std::move(vrf),
                  [this, key, pid = c.b->pin.pid, which, reply](Done<InsideDetachResult> d) {
                    detached(key, pid, which, d);
                    if (reply) reply(std::move(d));
                    jobDone(key, pid);
                  }});
}

// After a job's outcome changed the state and its caller was answered: what changed while it
// was under way is reconciled now.
void Manager::jobDone(const std::string& key, pid_t pid) {
  if (Container* c = instance(key, pid)) reconcileLater(key, *c);
}

Manager::Container* Manager::instance(const std::string& key, pid_t pid) {
  auto it = containers_.find(key);
  if (it == containers_.end() || it->second.b->pin.pid != pid ||
      it->second.b->state != BindingState::Registered)
    return nullptr;
  return &it->second;
}

namespace {
// The outcome of a job for an instance that is no longer the one registered.
void stale(const std::string& what, const std::string& vrf, const std::string& error) {
  log::info("a container exited before its " + what + " VRF " + vrf + " finished" +
            (error.empty() ? "" : " (" + error + ")"));
}
}  // namespace

void Manager::detached(const std::string& key, pid_t pid, const std::string& vrf,
                       const Done<InsideDetachResult>& d) {
  Container* current = instance(key, pid);
  if (!current) {
    stale("detach from", vrf, d.error);
    return;
  }
  Container& c = *current;
  log::Fields fields = fieldsOf(c.b->info, c.b->entry);
  fields.emplace_back("VRF", vrf);
  if (!d) {
    warn(c, "not detached: " + d.error, fields);
    containerChanged(c);
    return;
  }
  // Its interface VRFs that left (all of them, asked for every VRF): forgotten, or kept as held
  // out when asked over the API.
  std::vector<std::string> left = d.value->vrfs;
  if (vrf.empty())
    for (const auto& [v, p] : c.interfaceParts) left.push_back(v);
  for (const auto& v : left) {
    auto p = c.interfaceParts.find(v);
    if (p == c.interfaceParts.end() || p->second.state == AttachState::Pending) continue;
    if (!p->second.heldOut) {
      c.interfaceParts.erase(p);
      continue;
    }
    p->second.state = AttachState::None;
    p->second.asked.reset();
    p->second.interfaces.clear();
    p->second.table = 0;
  }
  bool ownVrf =
      std::find(d.value->vrfs.begin(), d.value->vrfs.end(), c.vrf) != d.value->vrfs.end() ||
      (vrf.empty() && !d.value->vrfs.empty());
  if (c.attach == AttachState::Pending) {  // reconcileAll: the attach now wanted is queued
    log::info(describe(c.b->info) + ": detached from VRF " + vrf + ", as no policy asks for it",
              fields);
    return;
  }
  if (d.value->vrfs.empty()) return;
  if (!ownVrf) {
    log::info(describe(c.b->info) + ": detached from VRF " + vrf, fields);
    containerChanged(c);
    return;
  }
  unwatchLinks(key, c);
  c.vrfRoutes.reset();
  c.attach = AttachState::None;
  c.vrf.clear();
  c.table = 0;
  c.interfaces.clear();
  std::string vrfs;
  for (const auto& v : d.value->vrfs) vrfs += (vrfs.empty() ? "" : ", ") + v;
  log::info(describe(c.b->info) + ": detached from VRF " + vrfs, fields);
  containerChanged(c);
}

std::string Manager::attachedText(const std::string& vrf, const InsideResult& r) {
  std::string ifs;
  for (const auto& i : r.interfaces) ifs += (ifs.empty() ? "" : ", ") + i;
  return "attached to VRF " + vrf + " (table " + std::to_string(r.vrf.table) + ")" +
         (ifs.empty() ? "" : ": " + ifs) + "; " + std::to_string(r.routesMoved) + " routes moved";
}

void Manager::insideAttached(const std::string& key, pid_t pid, const std::string& vrf,
                             const Done<job::Attach::Result>& d) {
  Container* current = instance(key, pid);
  if (!current) {
    stale("attach to", vrf, d.error);
    return;
  }
  Container& c = *current;
  log::Fields fields = fieldsOf(c.b->info, c.b->entry);
  fields.emplace_back("VRF", vrf);
  if (!d) {
    c.attach = AttachState::Failed;
    unwatchLinks(key, c);
    warn(c, "not attached: " + d.error, fields);
    containerChanged(c);  // with the error just kept
    return;
  }
  const InsideResult& r = d.value->attached;
  c.attach = AttachState::Attached;
  c.vrf = vrf;
  c.table = r.vrf.table;
  c.interfaces = r.interfaces;
  c.vrfRoutes = d.value->routes;
  watchLinks(key, c);
  containerChanged(c);
  log::info(describe(c.b->info) + ": " + attachedText(vrf, r), fields);
  changed();
}

void Manager::hostAttached(const std::string& key, pid_t pid, const std::string& vrf,
                           const Done<HostSideResult>& d) {
  Container* current = instance(key, pid);
  if (!current) {
    stale("attach to host", vrf, d.error);
    return;
  }
  Container& c = *current;
  log::Fields fields = fieldsOf(c.b->info, c.b->entry);
  fields.emplace_back("VRF", vrf);
  if (!d) {
    c.hostAttach = AttachState::Failed;
    warn(c, "not attached to host VRF " + vrf + ": " + d.error, fields);
    containerChanged(c);
    return;
  }
  c.hostAttach = AttachState::Attached;
  containerChanged(c);
  std::string routes;
  for (const auto& r : d.value->defaultRoutes) routes += "; " + r;
  log::info(describe(c.b->info) + ": attached to host VRF " + vrf + " (table " +
                std::to_string(d.value->vrf.table) + ") through " +
                (c.hostLeg ? c.hostLeg->hostIfname + "/" + c.hostLeg->containerIfname : "") +
                routes,
            fields);
  changed();
}

void Manager::removeAll() {
  registry_.removeAll();
}

std::string Manager::summary() const {
  size_t entries = registry_.entries();
  std::string s =
      std::to_string(entries) + " namespace" + (entries == 1 ? "" : "s") + " registered";
  size_t attached = 0;
  for (const auto& [key, c] : containers_)
    attached += c.attach == AttachState::Attached || c.hostAttach == AttachState::Attached;
  attached += networks_.attached();
  if (attached) s += ", " + std::to_string(attached) + " attached to VRFs";
  for (const auto& [runtime, up] : registry_.runtimes())
    s += "; " + runtime + (up ? " connected" : " not reachable");
  return s;
}

}  // namespace netvrf
