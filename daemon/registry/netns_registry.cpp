#include "registry/netns_registry.hpp"

#include <fcntl.h>
#include <sys/epoll.h>

#include <algorithm>

#include "common/error.hpp"
#include "common/log.hpp"
#include "common/printable.hpp"
#include "netns/name.hpp"

namespace netvrf {

const char* toString(BindingState s) {
  switch (s) {
    case BindingState::Registered:
      return "registered";
    case BindingState::HostNetwork:
      return "host-network";
    case BindingState::NameInvalid:
      return "name-invalid";
    case BindingState::NameTaken:
      return "name-taken";
    case BindingState::Failed:
      break;
  }
  return "failed";
}

NetnsRegistry::NetnsRegistry(EventLoop& loop, NetnsDir& netnsDir, OwnershipStore& store,
                             const Config& config, Events events)
    : loop_(loop),
      netnsDir_(netnsDir),
      store_(store),
      config_(config),
      events_(std::move(events)),
      hostNs_(*nsIdentityOfPath("/proc/self/ns/net")) {}

const Binding* NetnsRegistry::find(const std::string& key) const {
  auto it = bindings_.find(key);
  return it == bindings_.end() ? nullptr : &it->second;
}

void NetnsRegistry::setState(const std::string& key, Binding& b, BindingState state,
                             const std::string& detail) {
  b.state = state;
  int prio = state == BindingState::Registered || state == BindingState::HostNetwork ? LOG_INFO
                                                                                     : LOG_WARNING;
  log::write(prio, describe(b.info) + ": " + detail, fieldsOf(b.info, b.entry),
             std::source_location::current());
  if (events_.stateChanged) events_.stateChanged(key);
}

void NetnsRegistry::adoptPrevious() {
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
    ContainerInfo info{rec.runtime, rec.containerId, rec.containerName, {}, false, {}, {}, {}, {}};
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
    Binding& b = bindings_[key];
    b.info = std::move(info);
    b.entry = rec.entry;
    pin->netns.reset();  // the mount keeps the namespace
    b.pin = std::move(*pin);
    entries_[rec.entry] = key;
    watchExit(key, b);
    setState(key, b, BindingState::Registered,
             "kept " + netnsDir_.pathOf(rec.entry) + " from before");
  }
  for (const auto& err : errors) log::warning("ignoring unreadable ownership record " + err);
  changed();
}

void NetnsRegistry::expectRuntime(const std::string& runtime) {
  pendingRuntimes_.insert(runtime);
}

void NetnsRegistry::runtimeSynced(const std::string& runtime) {
  pendingRuntimes_.erase(runtime);
  if (!synced_ && pendingRuntimes_.empty()) {
    synced_ = true;
    if (onSynced) onSynced();
  }
}

std::vector<std::string> NetnsRegistry::candidateNames(const ContainerInfo& info) const {
  TemplateValues v{info.name, info.id, runtimeNamespace(info.runtime)};
  std::vector<std::string> names{expandTemplate(config_.nameTemplate, v)};
  if (!config_.fallbackTemplate.empty()) {
    auto fallback = expandTemplate(config_.fallbackTemplate, v);
    if (fallback != names.front()) names.push_back(std::move(fallback));
  }
  return names;
}

void NetnsRegistry::onRunning(ContainerRunning r) {
  std::string key = keyOf(r.info.runtime, r.info.id);
  auto [it, fresh] = bindings_.try_emplace(key);
  Binding& b = it->second;
  bool live = b.state == BindingState::Registered && !processExited(b.pin.pidfd.get());
  if (r.info.hostNetwork || (r.pin && r.pin->ns == hostNs_)) {
    if (b.state == BindingState::Registered) unregister(key, b, "it now uses the host's namespace");
    b.info = std::move(r.info);
    if (fresh || b.state != BindingState::HostNetwork)
      setState(key, b, BindingState::HostNetwork, "uses the host's namespace; not registered");
    return;
  }
  if (!r.pin) {
    if (!live) {
      b.info = std::move(r.info);
      setState(key, b, BindingState::Failed, "cannot pin its namespace: " + r.pinError);
    }
    return;
  }
  if (r.early && live && b.pin.ns == r.pin->ns) return;  // registered already, knowing more
  if (live && b.pin.ns == r.pin->ns) {
    // Seen before (a replayed event, a resync, a rename, a network connected or disconnected):
    // keep the entry unless the name moved.
    auto names = candidateNames(r.info);
    if (std::find(names.begin(), names.end(), b.entry) != names.end()) {
      bool networks = r.info.networks != b.info.networks;
      bool connected = std::any_of(
          r.info.networks.begin(), r.info.networks.end(), [&](const ContainerNetwork& n) {
            return std::find(b.info.networks.begin(), b.info.networks.end(), n) ==
                   b.info.networks.end();
          });
      b.info = std::move(r.info);
      if (events_.seenAgain) events_.seenAgain(key, networks, connected);
      return;
    }
    unregister(key, b, "the container was renamed");
  } else if (b.state == BindingState::Registered) {
    unregister(key, b, "the container has a new namespace");
  }
  b.info = std::move(r.info);
  if (events_.newInstance) events_.newInstance(key);
  b.retry.reset();
  b.retryAfter = std::chrono::milliseconds(0);
  b.lastFailure.clear();
  registerBinding(b, std::move(*r.pin));
  if (b.state == BindingState::Registered) {
    watchExit(key, b);
    if (events_.registered) events_.registered(key);
  } else if (b.retryable) {
    scheduleRetry(key, b);
  }
}

Fd NetnsRegistry::openEntry(const Binding& b) const {
  if (b.entry.empty()) {  // a sandbox: the namespace held since its ADD
    Fd fd(b.pin.netns ? fcntl(b.pin.netns.get(), F_DUPFD_CLOEXEC, 0) : -1);
    if (!fd) throwErrno("cannot open the namespace of " + describe(b.info));
    return fd;
  }
  // The entry is the container's namespace, proven when it was mounted.
  std::string path = netnsDir_.pathOf(b.entry);
  Fd fd(open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd) throwErrno("cannot open " + path);
  return fd;
}

void NetnsRegistry::registerBinding(Binding& b, PinnedNetns pin) {
  std::string key = keyOf(b.info.runtime, b.info.id);
  b.retryable = false;
  auto names = candidateNames(b.info);
  std::vector<std::string> reasons;
  bool anyValid = false;
  for (const auto& name : names) {
    if (auto err = netnsNameError(name)) {
      reasons.push_back("'" + name + "': " + *err);
      continue;
    }
    anyValid = true;
    try {
      if (claim(b, name, pin)) {
        std::string note = name == names.front() ? "" : " (" + reasons.back() + ")";
        setState(key, b, BindingState::Registered,
                 "registered as " + netnsDir_.pathOf(name) + note);
        changed();
        return;
      }
      reasons.push_back("'" + name + "' is taken by an entry netvrfd did not create");
    } catch (const std::system_error& e) {
      if (isErrno(e, ESRCH)) {  // it exited before the mount: nothing to register
        b.state = BindingState::Failed;
        log::debug(describe(b.info) + ": " + e.what(), fieldsOf(b.info));
        return;
      }
      std::string failure = std::string("cannot register: ") + e.what();
      b.retryable = isErrno(e, ENOSPC) || isErrno(e, EROFS) || isErrno(e, EDQUOT) ||
                    isErrno(e, ENOMEM) || isErrno(e, EMFILE) || isErrno(e, ENFILE);
      if (b.retryable) b.pin = std::move(pin);  // kept for the next try (scheduleRetry)
      // Said once, not at every retry.
      if (failure != b.lastFailure)
        setState(key, b, BindingState::Failed,
                 failure + (b.retryable ? "; trying again until it works" : ""));
      b.state = BindingState::Failed;
      b.lastFailure = failure;
      return;
    }
  }
  std::string all;
  for (const auto& r : reasons) all += (all.empty() ? "" : "; ") + r;
  setState(key, b, anyValid ? BindingState::NameTaken : BindingState::NameInvalid,
           "not registered: " + all);
}

bool NetnsRegistry::claim(Binding& b, const std::string& entry, PinnedNetns& pin) {
  if (entries_.count(entry)) return false;  // another running container has it
  auto existing = netnsDir_.probe(entry);
  if (existing.exists) {
    auto rec = store_.find(entry);
    if (!rec || (existing.ns && *existing.ns != rec->ns)) return false;  // not ours
    // Ours, left from a container that is gone: clear it.
    netnsDir_.unbind(entry, rec->ns);
    store_.remove(entry);
  }
  OwnershipRecord rec{entry,   b.info.runtime, b.info.id, b.info.name,
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
  b.pin = std::move(pin);
  b.entry = entry;
  entries_[entry] = keyOf(b.info.runtime, b.info.id);
  return true;
}

void NetnsRegistry::unregister(const std::string& key, Binding& b, const std::string& why) {
  if (b.state != BindingState::Registered) return;
  if (b.entry.empty()) {  // a sandbox: the runtime's path is the runtime's business
    log::info("stopped following " + describe(b.info) + " (namespace " +
                  printableName(b.sandboxPath) + "): " + why,
              fieldsOf(b.info));
    b.pin.netns.reset();
    b.state = BindingState::Failed;
    if (events_.unregistered) events_.unregistered(key);
    changed();
    return;
  }
  std::string path = netnsDir_.pathOf(b.entry);
  try {
    if (!netnsDir_.unbind(b.entry, b.pin.ns))
      log::notice(path + " now holds another namespace; left alone", fieldsOf(b.info, b.entry));
    store_.remove(b.entry);
  } catch (const std::system_error& e) {
    log::error(describe(b.info) + ": cannot remove " + path + ": " + e.what(),
               fieldsOf(b.info, b.entry));
  }
  log::info("removed " + path + ": " + why, fieldsOf(b.info, b.entry));
  entries_.erase(b.entry);
  b.entry.clear();
  b.exitWatch.reset();
  b.state = BindingState::Failed;
  if (events_.unregistered) events_.unregistered(key);
  changed();
}

void NetnsRegistry::watchExit(const std::string& key, Binding& b) {
  b.exitWatch.reset();  // sd-event refuses a second source on the same pidfd
  b.exitWatch =
      loop_.addIo(b.pin.pidfd.get(), EPOLLIN, [this, key](uint32_t) { onProcessExit(key); });
}

void NetnsRegistry::onProcessExit(const std::string& key) {
  auto it = bindings_.find(key);
  if (it == bindings_.end()) return;
  unregister(key, it->second, describe(it->second.info) + " exited");
  forget(it);
}

std::map<std::string, Binding>::iterator NetnsRegistry::forget(
    std::map<std::string, Binding>::iterator it) {
  if (events_.forgotten) events_.forgotten(it->first);
  return bindings_.erase(it);
}

void NetnsRegistry::onStopped(const std::string& key) {
  auto it = bindings_.find(key);
  if (it == bindings_.end()) return;
  Binding& b = it->second;
  // A late or replayed die: the process we hold is the truth, and it still runs.
  if (b.state == BindingState::Registered && !processExited(b.pin.pidfd.get())) return;
  unregister(key, b, describe(b.info) + " stopped");
  forget(it);
}

void NetnsRegistry::onRuntimeList(RuntimeSynced s) {
  std::set<std::string> running;
  for (auto& r : s.running) {
    running.insert(keyOf(r.info.runtime, r.info.id));
    onRunning(std::move(r));
  }
  for (auto it = bindings_.begin(); it != bindings_.end();) {
    Binding& b = it->second;
    bool gone = b.info.runtime == s.runtime && !running.count(it->first) &&
                (b.state != BindingState::Registered || processExited(b.pin.pidfd.get()));
    if (gone) {
      unregister(it->first, b, describe(b.info) + " no longer runs");
      it = forget(it);
    } else {
      ++it;
    }
  }
  runtimeSynced(s.runtime);
}

void NetnsRegistry::onAvailability(const RuntimeAvailability& a) {
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

void NetnsRegistry::removeAll() {
  for (auto& [key, b] : bindings_) unregister(key, b, "netvrfd is stopping (cleanup_on_exit)");
  for (auto it = bindings_.begin(); it != bindings_.end();) it = forget(it);
}

Found NetnsRegistry::findRegistered(const std::string& which) const {
  std::vector<const Binding*> byId;
  const Binding* byName = nullptr;
  for (const auto& [key, b] : bindings_) {
    if (b.info.name == which) byName = &b;
    if (!which.empty() && b.info.id.rfind(which, 0) == 0) byId.push_back(&b);
  }
  const Binding* b = byName ? byName : byId.size() == 1 ? byId.front() : nullptr;
  if (!b && byId.size() > 1)
    return {"", Refusal::AmbiguousContainer,
            "'" + printableName(which) + "' matches " + std::to_string(byId.size()) +
                " containers; give more of the id"};
  if (!b) return {"", Refusal::NoSuchContainer, "no container " + printableName(which)};
  if (b->state != BindingState::Registered)
    return {"", Refusal::NotRegistered,
            describe(b->info) + " has no namespace entry (" + toString(b->state) + ")"};
  return {keyOf(b->info.runtime, b->info.id), Refusal::None, ""};
}

}  // namespace netvrf
