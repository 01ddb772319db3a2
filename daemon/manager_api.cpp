// The Manager as the D-Bus API sees it: read-only views, and attach or detach on request.
#include <nlohmann/json.hpp>

#include <fcntl.h>

#include <algorithm>
#include <ctime>
#include <tuple>

#include "attach/host_side.hpp"
#include "attach/labels.hpp"
#include "common/error.hpp"
#include "manager.hpp"
#include "netns/name.hpp"

namespace netvrf {

ContainerView Manager::viewOf(const Binding& b, const Container* target) const {
  Container none;  // nothing asked of the worker for it yet
  none.b = &b;
  const Container& c = target ? *target : none;
  ContainerView v;
  v.runtime = c.b->info.runtime;
  v.id = c.b->info.id;
  v.name = c.b->info.name;
  v.entry = c.b->state == BindingState::Registered ? c.b->entry : "";
  v.netnsPath = v.entry.empty() ? "" : netnsDir_.pathOf(v.entry);
  v.pid = c.b->state == BindingState::Registered ? uint32_t(c.b->pin.pid) : 0;
  v.state = toString(c.b->state);
  v.vrf = c.attach == AttachState::Attached ? c.vrf : "";
  v.table = c.attach == AttachState::Attached ? c.table : 0;
  v.interfaces = c.attach == AttachState::Attached ? c.interfaces : std::vector<std::string>{};
  v.attach = toString(c.attach);
  v.hostVrf = c.hostAttach == AttachState::Attached && c.hostLeg ? c.hostLeg->vrf : "";
  if (!c.lastError.empty()) {
    std::time_t t = std::chrono::system_clock::to_time_t(c.lastErrorAt);
    std::tm utc{};
    gmtime_r(&t, &utc);
    char when[32];
    std::strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%SZ", &utc);
    v.lastError = std::string(when) + " " + c.lastError;
  }
  if (c.b->state != BindingState::Registered) return v;
  Wanted w = wanted(c);
  if (w.inside.request) v.wantedVrf = w.inside.request->vrf;
  v.wantedFrom = w.inside.from();
  if (w.host.request) v.wantedHostVrf = w.host.request->vrf;
  v.wantedHostFrom = w.host.from();
  std::map<std::string, InterfaceVrfView> parts;
  for (const auto& p : w.interfaceVrfs) {
    InterfaceVrfView& view = parts[p.request.vrf];
    view.vrf = p.request.vrf;
    view.attach = toString(AttachState::None);
    for (const auto& f : p.from) view.from += (view.from.empty() ? "" : ", ") + f;
    view.isDefault = !p.request.strict;
  }
  for (const auto& [vrf, p] : c.interfaceParts) {
    InterfaceVrfView& view = parts[vrf];
    view.vrf = vrf;
    view.attach = p.heldOut && p.state == AttachState::None ? "detached" : toString(p.state);
    if (p.state == AttachState::Attached) {
      view.table = p.table;
      view.interfaces = p.interfaces;
    }
  }
  for (auto& [vrf, view] : parts) v.interfaceVrfs.push_back(std::move(view));
  return v;
}

static nlohmann::json interfaceVrfsJson(const std::vector<InterfaceVrfView>& parts) {
  nlohmann::json out = nlohmann::json::array();
  for (const auto& p : parts)
    out.push_back({{"vrf", p.vrf},
                   {"table", p.table},
                   {"interfaces", p.interfaces},
                   {"attach", p.attach},
                   {"from", p.from},
                   {"default", p.isDefault}});
  return out;
}

std::vector<ContainerView> Manager::containers() const {
  std::vector<ContainerView> out;
  for (const auto& [key, b] : registry_.all()) {
    auto it = containers_.find(key);
    out.push_back(viewOf(b, it == containers_.end() ? nullptr : &it->second));
  }
  return out;
}

std::optional<ContainerView> Manager::container(const std::string& key) const {
  const Binding* b = registry_.find(key);
  if (!b) return std::nullopt;
  auto it = containers_.find(key);
  return viewOf(*b, it == containers_.end() ? nullptr : &it->second);
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
                                 {"host_vrf", v.hostVrf},
                                 {"last_error", v.lastError},
                                 {"interface_vrfs", interfaceVrfsJson(v.interfaceVrfs)},
                                 {"wanted",
                                  {{"vrf", v.wantedVrf},
                                   {"from", v.wantedFrom},
                                   {"host_vrf", v.wantedHostVrf},
                                   {"host_from", v.wantedHostFrom}}}});
  doc["networks"] = networks_.json();
  doc["vrfs"] = nlohmann::json::array();
  for (const auto& v : hostVrfs_)
    doc["vrfs"].push_back(
        {{"name", v.name}, {"table", v.table}, {"interfaces", v.interfaces}, {"owned", v.owned}});
  doc["requests"] = nlohmann::json::parse(requestsJson(requests_.all()));
  doc["runtimes"] = nlohmann::json::object();
  for (const auto& [runtime, up] : registry_.runtimes())
    doc["runtimes"][runtime] = up ? "connected" : "not reachable";
  doc["summary"] = summary();
  return doc.dump();
}

template <typename T>
void Manager::storeAttach(const std::string& key, StoredRequest request, bool temporary,
                          Done<T>& d) {
  auto it = containers_.find(key);
  if (it == containers_.end() || !d) return;
  Container& c = it->second;
  bool inside = request.part == StoredRequest::Part::Inside;
  if (temporary) {
    if (inside)
      c.temporary.inside = request.inside;
    else
      c.temporary.host = request.host;
    return;
  }
  // The stored request stands from now on, above any temporary one for this instance.
  if (inside)
    c.temporary.inside.reset();
  else
    c.temporary.host.reset();
  std::string vrf = request.vrf();
  request.host.hostIfname.clear();  // derived from the container id each time
  try {
    requests_.put(std::move(request));
  } catch (const std::system_error& e) {
    d = Done<T>::failed(describe(c.b->info) + " is in VRF " + vrf +
                        " now, but the request is not kept: " + e.what());
    log::warning(d.error, fieldsOf(c.b->info, c.b->entry));
    return;
  }
  log::info(describe(c.b->info) + ": kept the request for VRF " + vrf + " (" + requests_.path() + ")",
            fieldsOf(c.b->info, c.b->entry));
  containerChanged(c);
}

template <typename T>
void Manager::storeDetach(const std::string& key, bool inside, bool host, Done<T>& d) {
  auto it = containers_.find(key);
  if (it == containers_.end() || !d) return;
  Container& c = it->second;
  LabelPlan labels;
  try {
    labels = planFromLabels(c.b->info.labels, c.b->info.id);
  } catch (const LabelError&) {
    // Labels that cannot be used attach nothing: nothing to keep out.
  }
  // Its networks' and interfaces' VRFs would come back too at the next start: kept out as well.
  bool interfaceVrfs = !wanted(c).interfaceVrfs.empty();
  try {
    for (auto [part, asked, labelled] :
         {std::tuple{StoredRequest::Part::Inside, inside,
                     labels.inside.has_value() || interfaceVrfs},
          std::tuple{StoredRequest::Part::Host, host, labels.host.has_value()}}) {
      if (!asked) continue;
      if (part == StoredRequest::Part::Inside)
        c.temporary.inside.reset();
      else
        c.temporary.host.reset();
      if (labelled) {
        StoredRequest out;
        out.runtime = c.b->info.runtime;
        out.name = c.b->info.name;
        out.part = part;
        out.detached = true;
        requests_.put(std::move(out));
      } else {
        requests_.erase(c.b->info.runtime, c.b->info.name, part);
      }
    }
  } catch (const std::system_error& e) {
    d = Done<T>::failed(describe(c.b->info) + " is detached now, but that is not kept: " + e.what());
    log::warning(d.error, fieldsOf(c.b->info, c.b->entry));
    return;
  }
  containerChanged(c);
}

std::optional<std::vector<std::string>> Manager::forgetStopped(const std::string& name,
                                                               const std::string& vrf) {
  std::vector<std::string> vrfs;
  std::vector<StoredRequest> gone;
  for (const auto& r : requests_.all()) {
    const auto& all = registry_.all();
    bool running = std::any_of(all.begin(), all.end(), [&](const auto& kv) {
      return kv.second.info.runtime == r.runtime && kv.second.info.name == r.name;
    });
    if (r.name != name || running || (!vrf.empty() && r.vrf() != vrf)) continue;
    gone.push_back(r);
  }
  if (gone.empty()) return std::nullopt;
  for (const auto& r : gone) {
    requests_.erase(r.runtime, r.name, r.part);
    if (!r.detached) vrfs.push_back(r.vrf());
    log::info("container " + name + " (" + r.runtime + ", not running): forgot its stored " +
                  (r.detached ? std::string("detach") : "request for VRF " + r.vrf()),
              {{"CONTAINER_NAME", name}, {"RUNTIME", r.runtime}});
  }
  return vrfs;
}

void Manager::requestAttach(const std::string& key, InsideRequest req, bool temporary,
                            Then<InsideResult> reply) {
  Container& c = target(key);
  Fd netns = openEntry(c);
  c.insideFrom = temporary ? WantSource::Temporary : WantSource::Request;
  log::info(describe(c.b->info) + ": attaching to VRF " + req.vrf + " (asked over D-Bus" +
                (temporary ? ", temporary)" : ")"),
            fieldsOf(c.b->info, c.b->entry));
  StoredRequest stored;
  stored.runtime = c.b->info.runtime;
  stored.name = c.b->info.name;
  stored.part = StoredRequest::Part::Inside;
  stored.inside = req;
  submitAttach(key, c, std::move(netns), std::move(req), nullptr,
               [this, key, stored, temporary, reply](Done<InsideResult> d) {
                 storeAttach(key, stored, temporary, d);
                 reply(std::move(d));
               });
}

void Manager::requestAttachHost(const std::string& key, HostSideRequest req, bool temporary,
                                Then<HostSideResult> reply) {
  Container& c = target(key);
  if (c.hostLeg &&
      (c.hostAttach == AttachState::Pending || c.hostAttach == AttachState::Attached) &&
      c.hostLeg->vrf != req.vrf)
    throw VrfError(describe(c.b->info) + " already has a leg into host VRF " + c.hostLeg->vrf +
                   "; detach it first");
  if (req.containerIfname.empty()) req.containerIfname = defaultContainerIfname(req.vrf);
  req.hostIfname = defaultHostIfname(c.b->info.id, req.vrf);
  Fd netns = openEntry(c);
  c.hostFrom = temporary ? WantSource::Temporary : WantSource::Request;
  log::info(describe(c.b->info) + ": attaching to host VRF " + req.vrf + " through " + req.hostIfname +
                " (asked over D-Bus" + (temporary ? ", temporary)" : ")"),
            fieldsOf(c.b->info, c.b->entry));
  StoredRequest stored;
  stored.runtime = c.b->info.runtime;
  stored.name = c.b->info.name;
  stored.part = StoredRequest::Part::Host;
  stored.host = req;
  submitAttachHost(key, c, std::move(netns), std::move(req),
                   [this, key, stored, temporary, reply](Done<HostSideResult> d) {
                     storeAttach(key, stored, temporary, d);
                     reply(std::move(d));
                   });
}

void Manager::requestDetach(const std::string& key, const std::string& vrf,
                            Then<std::vector<std::string>> reply) {
  Container& c = target(key);
  std::string leg = c.hostLeg && (vrf.empty() || vrf == c.hostLeg->vrf) ? c.hostLeg->vrf : "";
  // The leg is said to be left only when it was up.
  std::string shown = c.hostAttach == AttachState::Attached ? leg : "";
  // The part inside is detached when asked for every VRF, or for the one it is in or wants.
  Wanted w = wanted(c);
  bool inside = vrf.empty() || vrf == c.vrf || (w.inside.request && w.inside.request->vrf == vrf);
  // One interface VRF: out for this instance (its networks and labels ask for it again when the
  // container starts again); every VRF: the stored detach keeps them all out.
  if (auto p = c.interfaceParts.find(vrf); !vrf.empty() && p != c.interfaceParts.end())
    p->second.heldOut = true;
  bool storedLeg = vrf.empty() || (w.host.request && w.host.request->vrf == vrf);
  if (!leg.empty() && !vrf.empty()) {  // only the leg
    detachHostLeg(c, [this, key, shown, reply](Done<bool> d) {
      Done<std::vector<std::string>> r{std::nullopt, d.error, d.errorKind};
      if (d) r.value = shown.empty() ? std::vector<std::string>{} : std::vector{shown};
      storeDetach(key, false, true, r);
      reply(std::move(r));
    });
    containerChanged(c);
    return;
  }
  Fd netns = openEntry(c);
  if (!leg.empty()) detachHostLeg(c);  // the worker does it before the inside detach below
  std::optional<std::string> which;
  if (!vrf.empty()) which = vrf;
  submitDetach(key, c, std::move(netns), which,
               [this, key, leg, shown, inside, storedLeg, reply](Done<InsideDetachResult> d) {
                 Done<std::vector<std::string>> r{std::nullopt, d.error, d.errorKind};
                 if (d) {
                   r.value = d.value->vrfs;
                   if (!shown.empty()) r.value->push_back(shown);
                 }
                 storeDetach(key, inside, !leg.empty() || storedLeg, r);
                 reply(std::move(r));
               });
}

void Manager::listVrfs(Then<std::vector<HostVrf>> reply) {
  worker_->submit(job::ListVrfs{[this, reply](Done<std::vector<HostVrf>> d) {
    if (d) hostVrfsChecked();
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
