#include "targets/reconcile.hpp"

namespace netvrf {

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

const char* toString(Step s) {
  switch (s) {
    case Step::Nothing:
      return "nothing";
    case Step::Wait:
      return "wait";
    case Step::Refuse:
      return "refuse";
    case Step::Attach:
      return "attach";
    case Step::Detach:
      break;
  }
  return "detach";
}

bool sameRequest(const InsideRequest& a, const InsideRequest& b) {
  return a.vrf == b.vrf && a.table == b.table && a.interfaces == b.interfaces &&
         a.strict == b.strict;
}

// The host-side name is derived from the container id each time: not part of what is asked.
bool sameRequest(const HostSideRequest& a, const HostSideRequest& b) {
  return a.vrf == b.vrf && a.table == b.table && a.containerIfname == b.containerIfname &&
         a.addresses == b.addresses && a.gateways == b.gateways;
}

namespace {

template <typename Request>
Step decide(const WantedPart<Request>& want, const Applied<Request>& applied, Trigger why) {
  bool policy = applied.from == WantSource::Policy || want.source == WantSource::Policy;
  switch (applied.state) {
    case AttachState::Pending:
      return Step::Wait;
    case AttachState::Attached:
      if (want.request && applied.asked && sameRequest(*want.request, *applied.asked))
        return Step::Nothing;
      // Only what a policy attached is taken back on its own: what a person or a label asked
      // for stays until they say otherwise.
      return applied.from == WantSource::Policy ? Step::Detach : Step::Nothing;
    case AttachState::Failed:
      if (why != Trigger::Reload || !policy) return Step::Nothing;
      break;
    case AttachState::None:
      break;
  }
  if (!want.error.empty()) return Step::Refuse;
  return want.request ? Step::Attach : Step::Nothing;
}

}  // namespace

Step nextStep(const WantedPart<InsideRequest>& want, const Applied<InsideRequest>& applied,
              Trigger why) {
  return decide(want, applied, why);
}

Step nextStep(const WantedPart<HostSideRequest>& want, const Applied<HostSideRequest>& applied,
              Trigger why) {
  return decide(want, applied, why);
}

}  // namespace netvrf
