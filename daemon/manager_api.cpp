// The Manager as the D-Bus API sees it: read-only views, and attach or detach on request.
#include <nlohmann/json.hpp>

#include <fcntl.h>

#include "attach/host_side.hpp"
#include "common/error.hpp"
#include "manager.hpp"
#include "manager_detail.hpp"
#include "netns/name.hpp"

namespace netvrf {

using namespace manager_detail;

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

const char* toString(AttachState s) {
  switch (s) {
    case AttachState::None:
      return "none";
    case AttachState::Pending:
      return "pending";
    case AttachState::Attached:
      return "attached";
    case AttachState::Failed:
      break;
  }
  return "failed";
}

ContainerView Manager::viewOf(const Container& c) const {
  ContainerView v;
  v.runtime = c.info.runtime;
  v.id = c.info.id;
  v.name = c.info.name;
  v.entry = c.state == BindingState::Registered ? c.entry : "";
  v.netnsPath = v.entry.empty() ? "" : netnsDir_.pathOf(v.entry);
  v.pid = c.state == BindingState::Registered ? uint32_t(c.pin.pid) : 0;
  v.state = toString(c.state);
  v.vrf = c.attach == AttachState::Attached ? c.vrf : "";
  v.table = c.attach == AttachState::Attached ? c.table : 0;
  v.interfaces = c.attach == AttachState::Attached ? c.interfaces : std::vector<std::string>{};
  v.attach = toString(c.attach);
  v.hostVrf = c.hostAttach == AttachState::Attached && c.hostLeg ? c.hostLeg->vrf : "";
  return v;
}

std::vector<ContainerView> Manager::containers() const {
  std::vector<ContainerView> out;
  for (const auto& [key, c] : containers_) out.push_back(viewOf(c));
  return out;
}

std::optional<ContainerView> Manager::container(const std::string& key) const {
  auto it = containers_.find(key);
  if (it == containers_.end()) return std::nullopt;
  return viewOf(it->second);
}

std::string Manager::describeJson() const {
  nlohmann::json doc;
  doc["containers"] = nlohmann::json::array();
  for (const auto& v : containers())
    doc["containers"].push_back({{"runtime", v.runtime},
                                 {"id", v.id},
                                 {"name", v.name},
                                 {"netns", v.entry},
                                 {"netns_path", v.netnsPath},
                                 {"pid", v.pid},
                                 {"state", v.state},
                                 {"vrf", v.vrf},
                                 {"table", v.table},
                                 {"interfaces", v.interfaces},
                                 {"attach", v.attach},
                                 {"host_vrf", v.hostVrf}});
  doc["networks"] = nlohmann::json::array();
  for (const auto& [key, n] : networks_)
    doc["networks"].push_back({{"runtime", n.info.runtime},
                               {"id", n.info.id},
                               {"name", n.info.name},
                               {"bridge", n.info.bridge},
                               {"vrf", n.attach == AttachState::Attached ? n.vrf : ""},
                               {"attach", toString(n.attach)}});
  doc["vrfs"] = nlohmann::json::array();
  for (const auto& v : hostVrfs_)
    doc["vrfs"].push_back(
        {{"name", v.name}, {"table", v.table}, {"interfaces", v.interfaces}, {"owned", v.owned}});
  doc["runtimes"] = nlohmann::json::object();
  for (const auto& [runtime, up] : runtimeUp_)
    doc["runtimes"][runtime] = up ? "connected" : "not reachable";
  doc["summary"] = summary();
  return doc.dump();
}

Manager::Found Manager::findRegistered(const std::string& which) const {
  std::vector<const Container*> byId;
  const Container* byName = nullptr;
  for (const auto& [key, c] : containers_) {
    if (c.info.name == which) byName = &c;
    if (!which.empty() && c.info.id.rfind(which, 0) == 0) byId.push_back(&c);
  }
  const Container* c = byName ? byName : byId.size() == 1 ? byId.front() : nullptr;
  if (!c && byId.size() > 1)
    return {"", "org.netvrf1.Error.AmbiguousContainer",
            "'" + printableName(which) + "' matches " + std::to_string(byId.size()) +
                " containers; give more of the id"};
  if (!c)
    return {"", "org.netvrf1.Error.NoSuchContainer", "no container " + printableName(which)};
  if (c->state != BindingState::Registered)
    return {"", "org.netvrf1.Error.NotRegistered",
            describe(c->info) + " has no namespace entry (" + toString(c->state) + ")"};
  return {keyOf(c->info.runtime, c->info.id), "", ""};
}

void Manager::submitWithReply(AttachJob job, Reply reply) {
  job.ticket = nextTicket_++;
  replies_[job.ticket] = std::move(reply);
  submitAttach_(std::move(job));
}

void Manager::requestAttach(const std::string& key, InsideRequest req, Reply reply) {
  Container& c = containers_.at(key);
  Fd netns = openEntry(c);
  c.attach = AttachState::Pending;
  log::info(describe(c.info) + ": attaching to VRF " + req.vrf + " (asked over D-Bus)",
            fieldsOf(c.info, c.entry));
  submitWithReply(makeJob(AttachJob::Kind::Attach, key, describe(c.info), c.pin.pid,
                          std::move(netns), std::move(req)),
                  std::move(reply));
}

void Manager::requestAttachHost(const std::string& key, HostSideRequest req, Reply reply) {
  Container& c = containers_.at(key);
  if (c.hostLeg && (c.hostAttach == AttachState::Pending || c.hostAttach == AttachState::Attached) &&
      c.hostLeg->vrf != req.vrf)
    throw VrfError(describe(c.info) + " already has a leg into host VRF " + c.hostLeg->vrf +
                   "; detach it first");
  if (req.containerIfname.empty()) req.containerIfname = defaultContainerIfname(req.vrf);
  req.hostIfname = defaultHostIfname(c.info.id, req.vrf);
  Fd netns = openEntry(c);
  c.hostAttach = AttachState::Pending;
  c.hostLeg = req;
  log::info(describe(c.info) + ": attaching to host VRF " + req.vrf + " through " +
                req.hostIfname + " (asked over D-Bus)",
            fieldsOf(c.info, c.entry));
  submitWithReply(makeJob(AttachJob::Kind::AttachHost, key, describe(c.info), c.pin.pid,
                          std::move(netns), {}, std::move(req)),
                  std::move(reply));
}

void Manager::requestDetach(const std::string& key, const std::string& vrf, Reply reply) {
  Container& c = containers_.at(key);
  bool hostLeg = c.hostLeg && (vrf.empty() || vrf == c.hostLeg->vrf);
  if (hostLeg && !vrf.empty()) {  // only the leg
    HostSideRequest leg = *c.hostLeg;
    c.hostLeg.reset();
    c.hostAttach = AttachState::None;
    submitWithReply(makeJob(AttachJob::Kind::DetachHost, key, describe(c.info), c.pin.pid, Fd(),
                            {}, std::move(leg)),
                    std::move(reply));
    containerChanged(c);
    return;
  }
  if (hostLeg) detachHostLeg(c);  // the worker does it before the inside detach below
  InsideRequest req;
  req.vrf = vrf;
  submitWithReply(makeJob(AttachJob::Kind::Detach, key, describe(c.info), c.pin.pid, openEntry(c),
                          std::move(req)),
                  std::move(reply));
}

void Manager::requestVrf(AttachJob::Kind kind, const std::string& vrf,
                         std::optional<uint64_t> table, Reply reply) {
  Fd host(open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC));
  if (!host) throwErrno("open /proc/self/ns/net");
  InsideRequest req;
  req.vrf = vrf;
  req.table = table;
  submitWithReply(makeJob(kind, "", "VRF " + vrf, 0, std::move(host), std::move(req)),
                  std::move(reply));
}

}  // namespace netvrf
