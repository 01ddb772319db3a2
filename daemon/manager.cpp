#include "manager.hpp"

#include <fcntl.h>
#include <sys/epoll.h>

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
      store_(store),
      requests_(requests),
      config_(config),
      hostNs_(*nsIdentityOfPath("/proc/self/ns/net")) {}

void Manager::containerChanged(const Container& c) {
  if (onContainerChanged) onContainerChanged(viewOf(c));
}

void Manager::setState(Container& c, BindingState state, const std::string& detail) {
  c.state = state;
  int prio = state == BindingState::Registered || state == BindingState::HostNetwork ? LOG_INFO
                                                                                     : LOG_WARNING;
  log::write(prio, describe(c.info) + ": " + detail, fieldsOf(c.info, c.entry),
             std::source_location::current());
  containerChanged(c);
}

void Manager::warn(Container& c, const std::string& what, const log::Fields& fields,
                   const std::source_location& where) {
  c.lastError = what;
  c.lastErrorAt = std::chrono::system_clock::now();
  log::write(LOG_WARNING, describe(c.info) + ": " + what, fields, where);
}

void Manager::changed() {
  if (onChanged) onChanged();
}

void Manager::adoptPrevious() {
  std::vector<std::string> errors;
  for (auto& rec : store_.loadAll(&errors)) {
    auto e = netnsDir_.probe(rec.entry);
    if (e.exists && e.ns && *e.ns != rec.ns) {
      log::notice("entry " + netnsDir_.pathOf(rec.entry) +
                      " was replaced by someone else; leaving it alone",
                  {{"NETNS", rec.entry}});
      store_.remove(rec.entry);
      continue;
    }
    ContainerInfo info{rec.runtime, rec.containerId, rec.containerName, {}, false, {}, {}, {}};
    auto pin = e.ns ? repinNetns(rec.pid, rec.startTime, rec.ns) : std::nullopt;
    if (!pin) {
      if (e.exists) netnsDir_.unbind(rec.entry, rec.ns);
      store_.remove(rec.entry);
      log::info("removed stale entry " + netnsDir_.pathOf(rec.entry) + ": " + describe(info) +
                    " stopped while netvrfd was not running",
                fieldsOf(info, rec.entry));
      continue;
    }
    std::string key = keyOf(rec.runtime, rec.containerId);
    Container& c = containers_[key];
    c.info = std::move(info);
    c.entry = rec.entry;
    pin->netns.reset();  // the mount keeps the namespace
    c.pin = std::move(*pin);
    entries_[rec.entry] = key;
    watchExit(key, c);
    setState(c, BindingState::Registered, "kept " + netnsDir_.pathOf(rec.entry) + " from before");
  }
  for (const auto& err : errors) log::warning("ignoring unreadable ownership record " + err);
  changed();
}

void Manager::expectRuntime(const std::string& runtime) {
  pendingRuntimes_.insert(runtime);
}

void Manager::runtimeSynced(const std::string& runtime) {
  pendingRuntimes_.erase(runtime);
  if (!synced_ && pendingRuntimes_.empty()) {
    synced_ = true;
    if (onSynced) onSynced();
  }
}

void Manager::handle(RuntimeEvent event) {
  std::visit(
      [this](auto&& e) {
        using T = std::decay_t<decltype(e)>;
        if constexpr (std::is_same_v<T, ContainerRunning>)
          onRunning(std::move(e));
        else if constexpr (std::is_same_v<T, ContainerStopped>)
          onStopped(keyOf(e.runtime, e.id));
        else if constexpr (std::is_same_v<T, RuntimeSynced>)
          onRuntimeList(std::move(e));
        else if constexpr (std::is_same_v<T, RuntimeAvailability>)
          onAvailability(e);
        else if constexpr (std::is_same_v<T, NetworkSeen>)
          onNetwork(std::move(e.info));
        else if constexpr (std::is_same_v<T, NetworkGone>)
          onNetworkGone(networkKey(e.runtime, e.id));
        else
          onNetworksSynced(std::move(e));
      },
      std::move(event));
}

std::vector<std::string> Manager::candidateNames(const ContainerInfo& info) const {
  TemplateValues v{info.name, info.id, runtimeNamespace(info.runtime)};
  std::vector<std::string> names{expandTemplate(config_.nameTemplate, v)};
  if (!config_.fallbackTemplate.empty()) {
    auto fallback = expandTemplate(config_.fallbackTemplate, v);
    if (fallback != names.front()) names.push_back(std::move(fallback));
  }
  return names;
}

void Manager::onRunning(ContainerRunning r) {
  std::string key = keyOf(r.info.runtime, r.info.id);
  auto [it, fresh] = containers_.try_emplace(key);
  Container& c = it->second;
  bool live = c.state == BindingState::Registered && !processExited(c.pin.pidfd.get());
  if (r.info.hostNetwork || (r.pin && r.pin->ns == hostNs_)) {
    if (c.state == BindingState::Registered) unregister(c, "it now uses the host's namespace");
    c.info = std::move(r.info);
    if (fresh || c.state != BindingState::HostNetwork)
      setState(c, BindingState::HostNetwork, "uses the host's namespace; not registered");
    return;
  }
  if (!r.pin) {
    if (!live) {
      c.info = std::move(r.info);
      setState(c, BindingState::Failed, "cannot pin its namespace: " + r.pinError);
    }
    return;
  }
  if (live && c.pin.ns == r.pin->ns) {
    // Seen before (a replayed event, a resync, a rename, a network connected or disconnected):
    // keep the entry unless the name moved.
    auto names = candidateNames(r.info);
    if (std::find(names.begin(), names.end(), c.entry) != names.end()) {
      bool networks = r.info.networks != c.info.networks;
      bool connected = std::any_of(
          r.info.networks.begin(), r.info.networks.end(), [&](const ContainerNetwork& n) {
            return std::find(c.info.networks.begin(), c.info.networks.end(), n) ==
                   c.info.networks.end();
          });
      c.info = std::move(r.info);
      // A restarted netvrfd makes sure again; a new interface joins its VRF.
      reconcile(key, c, connected ? Trigger::Connected : Trigger::Changed);
      if (networks) containerChanged(c);
      return;
    }
    unregister(c, "the container was renamed");
  } else if (c.state == BindingState::Registered) {
    unregister(c, "the container has a new namespace");
  }
  c.info = std::move(r.info);
  c.attach = AttachState::None;  // a new instance: its namespace has never been attached
  c.interfaceParts.clear();
  c.temporary = {};  // asked for the last instance only
  c.again.reset();
  c.lastError.clear();
  c.retry.reset();
  c.retryAfter = std::chrono::milliseconds(0);
  c.lastFailure.clear();
  registerContainer(c, std::move(*r.pin));
  if (c.state == BindingState::Registered) {
    watchExit(key, c);
    reconcile(key, c);
  } else if (c.retryable) {
    scheduleRetry(key, c);
  }
}

// The host end of a container's leg would outlive the container by as long as the kernel takes
// to free its namespace, and a restarted instance needs the name again: delete it now.
Fd Manager::openEntry(const Container& c) const {
  // The entry is the container's namespace, proven when it was mounted.
  std::string path = netnsDir_.pathOf(c.entry);
  Fd fd(open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd) throwErrno("cannot open " + path);
  return fd;
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
  job::Attach j{std::move(netns), describe(c.info), std::move(req), true, std::move(restore), {}};
  j.then = [this, key, pid = c.pin.pid, vrf, reply](Done<job::Attach::Result> d) {
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
  worker_->submit(job::AttachHost{std::move(netns), describe(c.info), std::move(leg),
                                  [this, key, pid = c.pin.pid, vrf, reply](Done<HostSideResult> d) {
                                    hostAttached(key, pid, vrf, d);
                                    if (reply) reply(std::move(d));
                                    jobDone(key, pid);
                                  }});
}

void Manager::submitDetach(const std::string& key, Container& c, Fd netns,
                           std::optional<std::string> vrf, Then<InsideDetachResult> reply) {
  std::string which = vrf.value_or("");
  worker_->submit(
      job::Detach{std::move(netns), describe(c.info), std::move(vrf),
                  [this, key, pid = c.pin.pid, which, reply](Done<InsideDetachResult> d) {
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
  if (it == containers_.end() || it->second.pin.pid != pid ||
      it->second.state != BindingState::Registered)
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
  log::Fields fields = fieldsOf(c.info, c.entry);
  fields.emplace_back("VRF", vrf);
  if (!d) {
    warn(c, "not detached: " + d.error, fields);
    containerChanged(c);
    return;
  }
  // Its interface VRFs that left: forgotten, or kept as held out when asked over the API.
  for (const auto& v : d.value->vrfs) {
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
    log::info(describe(c.info) + ": detached from VRF " + vrf + ", as no policy asks for it",
              fields);
    return;
  }
  if (d.value->vrfs.empty()) return;
  if (!ownVrf) {
    log::info(describe(c.info) + ": detached from VRF " + vrf, fields);
    containerChanged(c);
    return;
  }
  stopWatchingLinks(c);
  c.vrfRoutes.reset();
  c.attach = AttachState::None;
  c.vrf.clear();
  c.table = 0;
  c.interfaces.clear();
  std::string vrfs;
  for (const auto& v : d.value->vrfs) vrfs += (vrfs.empty() ? "" : ", ") + v;
  log::info(describe(c.info) + ": detached from VRF " + vrfs, fields);
  containerChanged(c);
}

void Manager::insideAttached(const std::string& key, pid_t pid, const std::string& vrf,
                             const Done<job::Attach::Result>& d) {
  Container* current = instance(key, pid);
  if (!current) {
    stale("attach to", vrf, d.error);
    return;
  }
  Container& c = *current;
  log::Fields fields = fieldsOf(c.info, c.entry);
  fields.emplace_back("VRF", vrf);
  if (!d) {
    c.attach = AttachState::Failed;
    stopWatchingLinks(c);
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
  std::string ifs;
  for (const auto& i : r.interfaces) ifs += (ifs.empty() ? "" : ", ") + i;
  log::info(describe(c.info) + ": attached to VRF " + vrf + " (table " +
                std::to_string(r.vrf.table) + ")" + (ifs.empty() ? "" : ": " + ifs) + "; " +
                std::to_string(r.routesMoved) + " routes moved",
            fields);
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
  log::Fields fields = fieldsOf(c.info, c.entry);
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
  log::info(describe(c.info) + ": attached to host VRF " + vrf + " (table " +
                std::to_string(d.value->vrf.table) + ") through " +
                (c.hostLeg ? c.hostLeg->hostIfname + "/" + c.hostLeg->containerIfname : "") +
                routes,
            fields);
  changed();
}

void Manager::registerContainer(Container& c, PinnedNetns pin) {
  c.retryable = false;
  auto names = candidateNames(c.info);
  std::vector<std::string> reasons;
  bool anyValid = false;
  for (const auto& name : names) {
    if (auto err = netnsNameError(name)) {
      reasons.push_back("'" + name + "': " + *err);
      continue;
    }
    anyValid = true;
    try {
      if (claim(c, name, pin)) {
        std::string note = name == names.front() ? "" : " (" + reasons.back() + ")";
        setState(c, BindingState::Registered, "registered as " + netnsDir_.pathOf(name) + note);
        changed();
        return;
      }
      reasons.push_back("'" + name + "' is taken by an entry netvrfd did not create");
    } catch (const std::system_error& e) {
      if (isErrno(e, ESRCH)) {  // it exited before the mount: nothing to register
        c.state = BindingState::Failed;
        log::debug(describe(c.info) + ": " + e.what(), fieldsOf(c.info));
        return;
      }
      std::string failure = std::string("cannot register: ") + e.what();
      c.retryable = isErrno(e, ENOSPC) || isErrno(e, EROFS) || isErrno(e, EDQUOT) ||
                    isErrno(e, ENOMEM) || isErrno(e, EMFILE) || isErrno(e, ENFILE);
      if (c.retryable) c.pin = std::move(pin);  // kept for the next try (scheduleRetry)
      // Said once, not at every retry.
      if (failure != c.lastFailure)
        setState(c, BindingState::Failed,
                 failure + (c.retryable ? "; trying again until it works" : ""));
      c.state = BindingState::Failed;
      c.lastFailure = failure;
      return;
    }
  }
  std::string all;
  for (const auto& r : reasons) all += (all.empty() ? "" : "; ") + r;
  setState(c, anyValid ? BindingState::NameTaken : BindingState::NameInvalid,
           "not registered: " + all);
}

bool Manager::claim(Container& c, const std::string& entry, PinnedNetns& pin) {
  if (entries_.count(entry)) return false;  // another running container has it
  auto existing = netnsDir_.probe(entry);
  if (existing.exists) {
    auto rec = store_.find(entry);
    if (!rec || (existing.ns && *existing.ns != rec->ns)) return false;  // not ours
    // Ours, left from a container that is gone: clear it.
    netnsDir_.unbind(entry, rec->ns);
    store_.remove(entry);
  }
  OwnershipRecord rec{entry,   c.info.runtime, c.info.id, c.info.name,
                      pin.pid, pin.startTime,  pin.ns};
  store_.save(rec);  // before the mount: a crash must never leave a mount without an owner
  try {
    netnsDir_.bind(entry, pin.netns.get(), [&] { return !processExited(pin.pidfd.get()); });
  } catch (const std::system_error& e) {
    store_.remove(entry);
    if (isErrno(e, EEXIST)) return false;  // `ip netns add` got there first
    throw;
  }
  pin.netns.reset();  // the mount keeps the namespace alive now
  c.pin = std::move(pin);
  c.entry = entry;
  entries_[entry] = keyOf(c.info.runtime, c.info.id);
  return true;
}

void Manager::unregister(Container& c, const std::string& why) {
  if (c.state != BindingState::Registered) return;
  std::string path = netnsDir_.pathOf(c.entry);
  try {
    if (!netnsDir_.unbind(c.entry, c.pin.ns))
      log::notice(path + " now holds another namespace; left alone", fieldsOf(c.info, c.entry));
    store_.remove(c.entry);
  } catch (const std::system_error& e) {
    log::error(describe(c.info) + ": cannot remove " + path + ": " + e.what(),
               fieldsOf(c.info, c.entry));
  }
  log::info("removed " + path + ": " + why, fieldsOf(c.info, c.entry));
  entries_.erase(c.entry);
  c.entry.clear();
  c.exitWatch.reset();
  detachHostLeg(c);
  stopWatchingLinks(c);
  c.vrfRoutes.reset();
  c.state = BindingState::Failed;
  c.attach = AttachState::None;
  c.interfaceParts.clear();
  c.vrf.clear();
  c.table = 0;
  c.interfaces.clear();
  if (onContainerChanged) {
    ContainerView v = viewOf(c);
    v.state = "unregistered";
    onContainerChanged(v);
  }
  changed();
}

void Manager::watchExit(const std::string& key, Container& c) {
  c.exitWatch.reset();  // sd-event refuses a second source on the same pidfd
  c.exitWatch =
      loop_.addIo(c.pin.pidfd.get(), EPOLLIN, [this, key](uint32_t) { onProcessExit(key); });
}

void Manager::onProcessExit(const std::string& key) {
  auto it = containers_.find(key);
  if (it == containers_.end()) return;
  unregister(it->second, describe(it->second.info) + " exited");
  forget(it);
}

std::map<std::string, Manager::Container>::iterator Manager::forget(
    std::map<std::string, Container>::iterator it) {
  std::string key = it->first;
  it = containers_.erase(it);
  if (onContainerGone) onContainerGone(key);
  return it;
}

void Manager::onStopped(const std::string& key) {
  auto it = containers_.find(key);
  if (it == containers_.end()) return;
  Container& c = it->second;
  // A late or replayed die: the process we hold is the truth, and it still runs.
  if (c.state == BindingState::Registered && !processExited(c.pin.pidfd.get())) return;
  unregister(c, describe(c.info) + " stopped");
  forget(it);
}

void Manager::onRuntimeList(RuntimeSynced s) {
  std::set<std::string> running;
  for (auto& r : s.running) {
    running.insert(keyOf(r.info.runtime, r.info.id));
    onRunning(std::move(r));
  }
  for (auto it = containers_.begin(); it != containers_.end();) {
    Container& c = it->second;
    bool gone = c.info.runtime == s.runtime && !running.count(it->first) &&
                (c.state != BindingState::Registered || processExited(c.pin.pidfd.get()));
    if (gone) {
      unregister(c, describe(c.info) + " no longer runs");
      it = forget(it);
    } else {
      ++it;
    }
  }
  runtimeSynced(s.runtime);
}

void Manager::onAvailability(const RuntimeAvailability& a) {
  bool known = runtimeUp_.count(a.runtime);
  runtimeUp_[a.runtime] = a.available;
  if (a.available) {
    log::notice(a.runtime + ": connected to " + a.detail, {{"RUNTIME", a.runtime}});
  } else {
    log::write(known ? LOG_WARNING : LOG_NOTICE,
               a.runtime + ": not reachable (" + a.detail + "); retrying in the background",
               {{"RUNTIME", a.runtime}}, std::source_location::current());
    runtimeSynced(a.runtime);  // nothing to wait for: it is not running
  }
  changed();
}

void Manager::removeAll() {
  for (auto& [key, c] : containers_) unregister(c, "netvrfd is stopping (cleanup_on_exit)");
  containers_.clear();
}

std::string Manager::summary() const {
  std::string s = std::to_string(entries_.size()) + " namespace" +
                  (entries_.size() == 1 ? "" : "s") + " registered";
  size_t attached = 0;
  for (const auto& [key, c] : containers_)
    attached += c.attach == AttachState::Attached || c.hostAttach == AttachState::Attached;
  for (const auto& [key, n] : networks_) attached += n.attach == AttachState::Attached;
  if (attached) s += ", " + std::to_string(attached) + " attached to VRFs";
  for (const auto& [runtime, up] : runtimeUp_)
    s += "; " + runtime + (up ? " connected" : " not reachable");
  return s;
}

}  // namespace netvrf
