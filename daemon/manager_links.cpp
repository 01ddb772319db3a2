// The Manager and changes behind its back: a VRF deleted, an interface released or deleted by
// someone else. Link notifications only say that something changed; a check then reads the
// kernel's state (on the attach worker, after any job already queued), and a difference is
// reported, shown on the bus, and attached again where a label asks for it.
#include <fcntl.h>
#include <sys/epoll.h>

#include <algorithm>

#include "attach/labels.hpp"
#include "common/error.hpp"
#include "manager.hpp"
#include "netlink/in_netns.hpp"

namespace netvrf {

using namespace std::chrono_literals;

namespace {
// Link changes come in bursts (a delete releases every port first): one check after the last.
constexpr auto kSettle = 200ms;

std::string joined(const std::vector<std::string>& v) {
  std::string out;
  for (const auto& s : v) out += (out.empty() ? "" : ", ") + s;
  return out;
}
}  // namespace

void Manager::watchLinks(const std::string& key, Container& c) {
  stopWatchingLinks(c);
  try {
    Fd netns = openEntry(c);
    c.links = runInNetns(netns.get(), [] { return LinkMonitor(); });
    c.linksWatch =
        loop_.addIo(c.links->fd(), EPOLLIN, [this, key](uint32_t) { linksChanged(key); });
  } catch (const std::system_error& e) {
    c.links.reset();
    log::warning(describe(c.info) + ": cannot follow the links of its namespace: " + e.what() +
                     "; a VRF deleted behind netvrfd's back will go unnoticed",
                 fieldsOf(c.info, c.entry));
  }
}

void Manager::stopWatchingLinks(Container& c) {
  c.linksSettle.reset();
  c.linksWatch.reset();
  c.links.reset();
}

void Manager::linksChanged(const std::string& key) {
  auto it = containers_.find(key);
  if (it == containers_.end() || !it->second.links) return;
  Container& c = it->second;
  try {
    if (!c.links->drain()) return;
  } catch (const std::system_error& e) {
    log::warning(describe(c.info) + ": link notifications failed: " + e.what(),
                 fieldsOf(c.info, c.entry));
    stopWatchingLinks(c);
    return;
  }
  c.linksSettle = loop_.addTimer(kSettle, [this, key] { checkLinks(key); });
}

void Manager::checkLinks(const std::string& key) {
  auto it = containers_.find(key);
  if (it == containers_.end()) return;
  Container& c = it->second;
  c.linksSettle.reset();
  if (c.attach != AttachState::Attached || c.state != BindingState::Registered || !worker_) return;
  Fd netns;
  try {
    netns = openEntry(c);
  } catch (const std::system_error&) {
    return;  // it is going: its exit is handled on its own
  }
  worker_->submit(job::Check{std::move(netns), c.vrf, c.interfaces, c.table, true,
                             [this, key, pid = c.pin.pid, vrf = c.vrf](Done<CheckResult> d) {
                               linksChecked(key, pid, vrf, d);
                             }});
}

void Manager::linksChecked(const std::string& key, pid_t pid, const std::string& vrf,
                           const Done<CheckResult>& d) {
  auto it = containers_.find(key);
  if (it == containers_.end()) return;
  Container& c = it->second;
  // Asked about an instance or an attachment that is no longer the current one.
  if (!d || c.pin.pid != pid || c.attach != AttachState::Attached || c.vrf != vrf) return;
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
  log::Fields fields = fieldsOf(c.info, c.entry);
  fields.emplace_back("VRF", c.vrf);
  std::string what =
      !found.vrf ? "VRF " + c.vrf + " was deleted" : joined(gone) + " left VRF " + c.vrf;
  warn(c, what + " behind netvrfd's back" +
                   (again ? "; attaching it again, " + asked : ""),
               fields);
  if (!found.vrf) {
    stopWatchingLinks(c);
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
  stopWatchingLinks(c);  // watched again once attached again
  c.attach = AttachState::None;
  reconcile(key, c);
}

void Manager::watchHostLinks() {
  try {
    hostLinks_.emplace();
    hostLinksWatch_ =
        loop_.addIo(hostLinks_->fd(), EPOLLIN, [this](uint32_t) { hostLinksChanged(); });
  } catch (const std::system_error& e) {
    hostLinks_.reset();
    log::warning(std::string("cannot follow the host's links: ") + e.what() +
                 "; host VRFs changed by others show only at the next change netvrfd makes");
  }
}

void Manager::refreshHostVrfs() {
  if (worker_) listVrfs(nullptr);
}

void Manager::hostLinksChanged() {
  try {
    if (!hostLinks_->drain()) return;
  } catch (const std::system_error& e) {
    log::warning(std::string("host link notifications failed: ") + e.what());
    hostLinksWatch_.reset();
    hostLinks_.reset();
    return;
  }
  if (!worker_) return;
  hostLinksSettle_ = loop_.addTimer(kSettle, [this] {
    hostLinksSettle_.reset();
    refreshHostVrfs();
  });
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
  bool any = false;
  for (auto& [key, n] : networks_) {
    if (n.attach != AttachState::Attached || inVrf(n.vrf, n.info.bridge)) continue;
    std::string vrf = std::exchange(n.vrf, "");
    n.attach = AttachState::None;
    any = true;
    log::warning(describe(n.info) + ": " + cause(vrf, n.info.bridge) + " behind netvrfd's back" +
                     (n.heldOff ? "" : "; attaching it again if labelled"),
                 {{"NETWORK", n.info.name}, {"VRF", vrf}});
    onNetwork(n.info);  // attaches it again when labelled
  }
  for (auto& [key, c] : containers_) {
    if (c.hostAttach != AttachState::Attached || !c.hostLeg ||
        inVrf(c.hostLeg->vrf, c.hostLeg->hostIfname))
      continue;
    any = true;
    warn(c, cause(c.hostLeg->vrf, c.hostLeg->hostIfname) +
                     " behind netvrfd's back; its leg is removed and made again if its labels "
                     "ask for one",
                 fieldsOf(c.info, c.entry));
    detachHostLeg(c);
    containerChanged(c);
    reconcile(key, c);
  }
  if (any) changed();
}

}  // namespace netvrf
