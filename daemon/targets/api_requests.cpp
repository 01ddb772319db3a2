#include "targets/api_requests.hpp"

#include <algorithm>
#include <tuple>

#include "attach/host_side.hpp"
#include "attach/labels.hpp"
#include "common/error.hpp"
#include "netns/name.hpp"

namespace netvrf {

namespace {
// What is stored of `part` of `t`: by runtime and container name.
StoredRequest storedFor(const Target& t, StoredRequest::Part part) {
  StoredRequest r;
  r.runtime = t.b->info.runtime;
  r.name = t.b->info.name;
  r.part = part;
  return r;
}
}  // namespace

ApiRequests::ApiRequests(const NetnsRegistry& registry, Attachments& attachments,
                         const Reconciler& reconciler, RequestStore& requests)
    : registry_(registry),
      attachments_(attachments),
      reconciler_(reconciler),
      requests_(requests) {}

template <typename T>
void ApiRequests::storeAttach(const std::string& key, StoredRequest request, bool temporary,
                              Done<T>& d) {
  Target* found = attachments_.find(key);
  if (!found || !d) return;
  Target& c = *found;
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
  log::info(
      describe(c.b->info) + ": kept the request for VRF " + vrf + " (" + requests_.path() + ")",
      fieldsOf(c.b->info, c.b->entry));
  attachments_.changed(c);
}

template <typename T>
void ApiRequests::storeDetach(const std::string& key, bool inside, bool host, Done<T>& d) {
  Target* found = attachments_.find(key);
  if (!found || !d) return;
  Target& c = *found;
  LabelPlan labels;
  try {
    labels = planFromLabels(c.b->info.labels, c.b->info.id);
  } catch (const LabelError&) {
    // Labels that cannot be used attach nothing: nothing to keep out.
  }
  // Its networks' and interfaces' VRFs would come back too at the next start: kept out as well.
  bool interfaceVrfs = !reconciler_.wanted(c).interfaceVrfs.empty();
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
        StoredRequest out = storedFor(c, part);
        out.detached = true;
        requests_.put(std::move(out));
      } else {
        requests_.erase(c.b->info.runtime, c.b->info.name, part);
      }
    }
  } catch (const std::system_error& e) {
    d = Done<T>::failed(describe(c.b->info) +
                        " is detached now, but that is not kept: " + e.what());
    log::warning(d.error, fieldsOf(c.b->info, c.b->entry));
    return;
  }
  attachments_.changed(c);
}

std::optional<std::vector<std::string>> ApiRequests::forgetStopped(const std::string& name,
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

void ApiRequests::attach(const std::string& key, InsideRequest req, bool temporary,
                         Then<InsideResult> reply) {
  Target& c = attachments_.target(key);
  Fd netns = attachments_.openEntry(c);
  c.insideFrom = temporary ? WantSource::Temporary : WantSource::Request;
  log::info(describe(c.b->info) + ": attaching to VRF " + req.vrf + " (asked over D-Bus" +
                (temporary ? ", temporary)" : ")"),
            fieldsOf(c.b->info, c.b->entry));
  StoredRequest stored = storedFor(c, StoredRequest::Part::Inside);
  stored.inside = req;
  attachments_.attach(key, c, std::move(netns), std::move(req), nullptr,
                      [this, key, stored, temporary, reply](Done<InsideResult> d) {
                        storeAttach(key, stored, temporary, d);
                        reply(std::move(d));
                      });
}

void ApiRequests::attachHost(const std::string& key, HostSideRequest req, bool temporary,
                             Then<HostSideResult> reply) {
  Target& c = attachments_.target(key);
  if (c.hostLeg &&
      (c.hostAttach == AttachState::Pending || c.hostAttach == AttachState::Attached) &&
      c.hostLeg->vrf != req.vrf)
    throw VrfError(describe(c.b->info) + " already has a leg into host VRF " + c.hostLeg->vrf +
                   "; detach it first");
  if (req.containerIfname.empty()) req.containerIfname = defaultContainerIfname(req.vrf);
  req.hostIfname = defaultHostIfname(c.b->info.id, req.vrf);
  Fd netns = attachments_.openEntry(c);
  c.hostFrom = temporary ? WantSource::Temporary : WantSource::Request;
  log::info(describe(c.b->info) + ": attaching to host VRF " + req.vrf + " through " +
                req.hostIfname + " (asked over D-Bus" + (temporary ? ", temporary)" : ")"),
            fieldsOf(c.b->info, c.b->entry));
  StoredRequest stored = storedFor(c, StoredRequest::Part::Host);
  stored.host = req;
  attachments_.attachHost(key, c, std::move(netns), std::move(req),
                          [this, key, stored, temporary, reply](Done<HostSideResult> d) {
                            storeAttach(key, stored, temporary, d);
                            reply(std::move(d));
                          });
}

void ApiRequests::detach(const std::string& key, const std::string& vrf,
                         Then<std::vector<std::string>> reply) {
  Target& c = attachments_.target(key);
  std::string leg = c.hostLeg && (vrf.empty() || vrf == c.hostLeg->vrf) ? c.hostLeg->vrf : "";
  // The leg is said to be left only when it was up.
  std::string shown = c.hostAttach == AttachState::Attached ? leg : "";
  // The part inside is detached when asked for every VRF, or for the one it is in or wants.
  Wanted w = reconciler_.wanted(c);
  bool inside = vrf.empty() || vrf == c.vrf || (w.inside.request && w.inside.request->vrf == vrf);
  // One interface VRF: out for this instance (its networks and labels ask for it again when the
  // container starts again); every VRF: the stored detach keeps them all out.
  if (auto p = c.interfaceParts.find(vrf); !vrf.empty() && p != c.interfaceParts.end())
    p->second.heldOut = true;
  bool storedLeg = vrf.empty() || (w.host.request && w.host.request->vrf == vrf);
  if (!leg.empty() && !vrf.empty()) {  // only the leg
    attachments_.detachHostLeg(c, [this, key, shown, reply](Done<bool> d) {
      Done<std::vector<std::string>> r{std::nullopt, d.error, d.errorKind};
      if (d) r.value = shown.empty() ? std::vector<std::string>{} : std::vector{shown};
      storeDetach(key, false, true, r);
      reply(std::move(r));
    });
    attachments_.changed(c);
    return;
  }
  Fd netns = attachments_.openEntry(c);
  if (!leg.empty())
    attachments_.detachHostLeg(c);  // the worker does it before the inside detach below
  std::optional<std::string> which;
  if (!vrf.empty()) which = vrf;
  attachments_.detach(
      key, c, std::move(netns), which,
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

}  // namespace netvrf
