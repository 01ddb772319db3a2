#include "manager.hpp"

#include <fcntl.h>

#include <algorithm>

#include "common/log.hpp"
#include "netns/name.hpp"

namespace netvrf {

Manager::Manager(EventLoop& loop, NetnsDir& netnsDir, OwnershipStore& store, RequestStore& requests,
                 SandboxStore& sandboxes, const Config& config)
    : netnsDir_(netnsDir),
      requests_(requests),
      sandboxes_(sandboxes),
      registry_(loop, netnsDir, store, config, registryEvents()),
      networks_([this] { changed(); }),
      attachments_(registry_, attachmentEvents()),
      reconciler_(registry_, attachments_, requests, config, networks_),
      drift_(loop, attachments_, reconciler_, networks_, [this] { refreshHostVrfs(); }),
      api_(registry_, attachments_, reconciler_, requests),
      firewall_(loop, [this] { updateFirewall(); }) {
  registry_.onSynced = [this] {
    synced_ = true;
    updateFirewall();
    if (onSynced) onSynced();
  };
}

NetnsRegistry::Events Manager::registryEvents() {
  NetnsRegistry::Events e;
  e.newInstance = [this](const std::string& key) {
    drift_.stop(key);
    attachments_.erase(key);
  };
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

Attachments::Events Manager::attachmentEvents() {
  Attachments::Events e;
  e.changed = [this](const Target& t) { containerChanged(t); };
  e.summaryChanged = [this] { changed(); };
  e.attachedInside = [this](const std::string& key, Target& t) { drift_.follow(key, t); };
  e.ownVrfLeft = [this](const std::string& key, Target& t) { drift_.unfollow(key, t); };
  e.jobDone = [this](const std::string& key, Target& t) { reconciler_.reconcileLater(key, t); };
  return e;
}

void Manager::registered(const std::string& key) {
  reconciler_.reconcile(key, attachments_.target(key));
  updateFirewall();
}

void Manager::seenAgain(const std::string& key, bool networks, bool connected) {
  Target& t = attachments_.target(key);
  // A restarted netvrfd makes sure again; a new interface joins its VRF.
  reconciler_.reconcile(key, t, connected ? Trigger::Connected : Trigger::Changed);
  if (networks) containerChanged(t);
  updateFirewall();
}

void Manager::unregistered(const std::string& key) {
  const Binding* b = registry_.find(key);
  if (Target* t = attachments_.find(key)) {
    attachments_.detachHostLeg(*t);
    drift_.stop(key);
    attachments_.erase(key);
  }
  if (onContainerChanged && b) {
    ContainerView v = viewOf(*b, nullptr);
    v.state = "unregistered";
    onContainerChanged(v);
  }
  updateFirewall();
}

void Manager::forgotten(const std::string& key) {
  drift_.stop(key);
  attachments_.erase(key);
  sandboxForgotten(key);
  if (onContainerGone) onContainerGone(key);
}

void Manager::bindingChanged(const std::string& key) {
  const Binding* b = registry_.find(key);
  if (b && onContainerChanged) onContainerChanged(viewOf(*b, attachments_.find(key)));
}

void Manager::containerChanged(const Target& t) {
  if (onContainerChanged) onContainerChanged(viewOf(*t.b, &t));
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
          registry_.onStopped(NetnsRegistry::keyOf(e.runtime, e.id));
        else if constexpr (std::is_same_v<T, RuntimeSynced>)
          registry_.onRuntimeList(std::move(e));
        else if constexpr (std::is_same_v<T, RuntimeAvailability>)
          registry_.onAvailability(e);
        else if constexpr (std::is_same_v<T, NetworkSeen>)
          networks_.onNetwork(std::move(e.info));
        else if constexpr (std::is_same_v<T, NetworkGone>)
          networks_.onNetworkGone(e.runtime, e.id);
        else {
          // After each (re)connect: a dockerd that (re)started made its firewall chains anew,
          // and its networks, which the rules need, are known again now.
          networks_.onNetworksSynced(std::move(e));
          updateFirewall(true);
        }
      },
      std::move(event));
}

void Manager::reconcileAll() {
  reconciler_.reconcileAll();
  changed();
}

void Manager::removeAll() {
  stopping_ = true;
  registry_.removeAll();
}

// The API's views.

ContainerView Manager::viewOf(const Binding& b, const Target* t) const {
  if (b.state != BindingState::Registered) return netvrf::viewOf(b, t, nullptr, netnsDir_);
  Target none;
  none.b = &b;
  Wanted w = reconciler_.wanted(t ? *t : none);
  ContainerView v = netvrf::viewOf(b, t, &w, netnsDir_);
  v.ports = portViews(hostVrfs_, networks_, b.info);
  return v;
}

std::vector<ContainerView> Manager::containers() const {
  std::vector<ContainerView> out;
  for (const auto& [key, b] : registry_.all()) out.push_back(viewOf(b, attachments_.find(key)));
  return out;
}

std::optional<ContainerView> Manager::container(const std::string& key) const {
  const Binding* b = registry_.find(key);
  if (!b) return std::nullopt;
  return viewOf(*b, attachments_.find(key));
}

std::string Manager::summary() const {
  size_t entries = registry_.entries();
  std::string s =
      std::to_string(entries) + " namespace" + (entries == 1 ? "" : "s") + " registered";
  size_t attached = attachments_.attached() + networks_.attached();
  if (attached) s += ", " + std::to_string(attached) + " attached to VRFs";
  for (const auto& [runtime, up] : registry_.runtimes())
    s += "; " + runtime + (up ? " connected" : " not reachable");
  return s;
}

std::string Manager::describeJson() const {
  return netvrf::describeJson(
      {containers(), networks_.json(), hostVrfs_, requests_.all(), registry_.runtimes(), summary()});
}

// The host's VRFs.

void Manager::hostVrfsSeen(const std::vector<HostVrf>& vrfs) {
  bool first = !vrfsListed_;
  vrfsListed_ = true;
  if (vrfs == hostVrfs_ && !first) {
    updateFirewall();
    return;
  }
  for (const auto& old : hostVrfs_)
    if (std::none_of(vrfs.begin(), vrfs.end(),
                     [&](const HostVrf& v) { return v.name == old.name; }))
      clearHostVrf(old);
  hostVrfs_ = vrfs;
  updateFirewall();
  if (onVrfsChanged) onVrfsChanged(hostVrfs_);
}

// Once the runtimes' networks and the host's VRFs are both known: before, a network's bridge
// would look like an uplink, and its rules would go for a moment at every start.
void Manager::updateFirewall(bool again) {
  // Stopping: published ports keep answering while netvrfd is away; the next run replaces the
  // rules with what it finds.
  if (!synced_ || !vrfsListed_ || stopping_) return;
  std::vector<const ContainerInfo*> running;
  for (const auto& [key, b] : registry_.all())
    if (b.state == BindingState::Registered) running.push_back(&b.info);
  firewall_.update(hostVrfs_, networks_, running, again);
}

void Manager::refreshHostVrfs() {
  if (worker_) listVrfs(nullptr);
}

// Its catch-all routes would keep its table from the VRF of that name made again. Queued before
// anything that would make it again.
void Manager::clearHostVrf(const HostVrf& gone) {
  if (!worker_) return;
  Fd host(open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC));
  if (!host) return;
  worker_->submit(job::Check{std::move(host), gone.name, {}, gone.table, false, nullptr});
}

void Manager::listVrfs(Then<std::vector<HostVrf>> reply) {
  worker_->submit(job::ListVrfs{[this, reply](Done<std::vector<HostVrf>> d) {
    if (d) drift_.hostVrfsListed(hostVrfs_);
    if (reply) reply(std::move(d));
  }});
}

void Manager::createVrf(const std::string& vrf, std::optional<uint64_t> table,
                        Then<HostVrf> reply) {
  worker_->submit(job::CreateVrf{
      vrf, table, [vrf, reply](Done<HostVrf> d) {
        if (!d)
          log::warning("VRF " + vrf + ": cannot create it: " + d.error, {{"VRF", vrf}});
        else
          log::info("VRF " + vrf + " (table " + std::to_string(d.value->table) +
                        ") is there, as asked over D-Bus",
                    {{"VRF", vrf}});
        reply(std::move(d));
      }});
}

void Manager::deleteVrf(const std::string& vrf, Then<Nothing> reply) {
  worker_->submit(job::DeleteVrf{
      vrf, [vrf, reply](Done<Nothing> d) {
        if (!d)
          log::warning("VRF " + vrf + ": cannot delete it: " + d.error, {{"VRF", vrf}});
        else
          log::info("deleted VRF " + vrf + ", as asked over D-Bus", {{"VRF", vrf}});
        reply(std::move(d));
      }});
}

}  // namespace netvrf
