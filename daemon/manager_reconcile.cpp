// The Manager after what containers want changed under them (a reload changed the policies):
// each registered container is brought to what it wants now, and only what a policy attached
// is taken back.
#include "manager.hpp"
#include "manager_detail.hpp"

namespace netvrf {

using namespace manager_detail;

namespace {

bool sameInside(const InsideRequest& a, const InsideRequest& b) {
  return a.vrf == b.vrf && a.table == b.table && a.interfaces == b.interfaces &&
         a.strict == b.strict;
}

bool sameLeg(const HostSideRequest& a, const HostSideRequest& b) {
  return a.vrf == b.vrf && a.table == b.table && a.containerIfname == b.containerIfname &&
         a.addresses == b.addresses && a.gateways == b.gateways;
}

}  // namespace

void Manager::reconcileAll() {
  if (!worker_) return;
  for (auto& [key, c] : containers_) {
    if (c.state != BindingState::Registered) continue;
    Wanted w = wanted(c);
    log::Fields fields = fieldsOf(c.info, c.entry);
    // Inside its namespace. An attach under way is left to finish.
    if (c.insideFrom == WantSource::Policy && c.attach == AttachState::Attached &&
        c.insideAsked && (!w.inside.request || !sameInside(*w.inside.request, *c.insideAsked))) {
      log::info(describe(c.info) + ": VRF " + c.vrf +
                    " came from a policy that no longer asks for it; detaching it",
                fields);
      try {
        submitDetach(key, c, openEntry(c), c.vrf, nullptr);
        c.attach = AttachState::None;  // what is wanted now is queued after the detach
      } catch (const std::system_error& e) {
        warn(c, std::string("not detached: ") + e.what(), fields);
      }
    }
    bool retry = c.insideFrom == WantSource::Policy || w.inside.source == WantSource::Policy;
    if (c.attach == AttachState::Failed && retry) c.attach = AttachState::None;
    if (c.attach == AttachState::None) maybeAttach(key, c, Part::Inside);

    // Its leg into a host VRF.
    bool legUp = c.hostAttach == AttachState::Attached || c.hostAttach == AttachState::Pending;
    if (c.hostFrom == WantSource::Policy && legUp && c.hostLeg &&
        (!w.host.request || !sameLeg(*w.host.request, *c.hostLeg))) {
      log::info(describe(c.info) + ": its leg into host VRF " + c.hostLeg->vrf +
                    " came from a policy that no longer asks for it; removing it",
                fields);
      detachHostLeg(c);
    }
    retry = c.hostFrom == WantSource::Policy || w.host.source == WantSource::Policy;
    if (c.hostAttach == AttachState::Failed && retry) c.hostAttach = AttachState::None;
    if (c.hostAttach == AttachState::None) maybeAttach(key, c, Part::Host);
    containerChanged(c);
  }
  changed();
}

}  // namespace netvrf
