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
  return a.vrf == b.vrf && a.table == b.table && a.interfaces == b.interfaces && a.macs == b.macs &&
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
  Step step = decide(want, applied, why);
  bool everyInterface =
      want.request && want.request->interfaces.empty() && want.request->macs.empty();
  if (step == Step::Nothing && why == Trigger::Connected && everyInterface &&
      applied.state == AttachState::Attached && applied.asked &&
      sameRequest(*want.request, *applied.asked))
    return Step::Attach;  // idempotent: it takes the interface that came, and nothing else
  return step;
}

Step nextInterfaceStep(const InsideRequest* want, const Applied<InsideRequest>& applied) {
  switch (applied.state) {
    case AttachState::Pending:
      return Step::Wait;
    case AttachState::Attached:
      if (!want) return Step::Detach;
      if (applied.asked && sameRequest(*want, *applied.asked)) return Step::Nothing;
      // No longer the default: only a detach takes its rule for unbound sockets away (then it
      // is attached again, strict).
      if (applied.asked && !applied.asked->strict && want->strict) return Step::Detach;
      return Step::Attach;
    case AttachState::Failed:
      // No longer wanted: what an earlier attach left (its VRF) goes. Tried as it is wanted
      // now: not again until that changes (a network comes or goes).
      if (!want) return Step::Detach;
      if (applied.asked && sameRequest(*want, *applied.asked)) return Step::Nothing;
      return Step::Attach;
    case AttachState::None:
      break;
  }
  return want ? Step::Attach : Step::Nothing;
}

Step nextStep(const WantedPart<HostSideRequest>& want, const Applied<HostSideRequest>& applied,
              Trigger why) {
  return decide(want, applied, why);
}

}  // namespace netvrf
