// What the reconcile step does next for one part of a container, checked as a table: every
// state it can be in, against what is wanted and why it is reconciled.
#include "targets/reconcile.hpp"

#include <gtest/gtest.h>

namespace netvrf {
namespace {

InsideRequest into(const std::string& vrf) {
  InsideRequest r;
  r.vrf = vrf;
  return r;
}

WantedPart<InsideRequest> want(WantSource from, std::optional<std::string> vrf,
                               std::string error = {}) {
  WantedPart<InsideRequest> w;
  w.source = from;
  if (vrf) w.request = into(*vrf);
  w.error = std::move(error);
  return w;
}

Applied<InsideRequest> applied(AttachState state, WantSource from = WantSource::None,
                               std::optional<std::string> vrf = std::nullopt) {
  Applied<InsideRequest> a;
  a.state = state;
  a.from = from;
  if (vrf) a.asked = into(*vrf);
  return a;
}

struct Row {
  const char* what;
  WantedPart<InsideRequest> want;
  Applied<InsideRequest> applied;
  Trigger why;
  Step step;
};

TEST(Reconcile, EachStateAgainstWhatIsWanted) {
  using S = WantSource;
  using A = AttachState;
  const Trigger changed = Trigger::Changed, reload = Trigger::Reload;
  const Row rows[] = {
      {"nothing wanted, nothing applied", want(S::None, {}), applied(A::None), changed,
       Step::Nothing},
      {"a label asks: attach", want(S::Label, "red"), applied(A::None), changed, Step::Attach},
      {"a stored request asks: attach", want(S::Request, "red"), applied(A::None), changed,
       Step::Attach},
      {"a stored detach: stays out", want(S::Detached, {}), applied(A::None), changed,
       Step::Nothing},
      {"bad labels: refused, once", want(S::Label, {}, "label netvrf.table: not a number"),
       applied(A::None), changed, Step::Refuse},
      {"a job under way: wait", want(S::Label, "red"), applied(A::Pending, S::Label, "red"),
       changed, Step::Wait},
      {"a reload while a job is under way: wait, then again", want(S::Policy, "green"),
       applied(A::Pending, S::Policy, "red"), reload, Step::Wait},
      {"attached as wanted", want(S::Label, "red"), applied(A::Attached, S::Label, "red"), changed,
       Step::Nothing},
      {"attached as wanted, at reload", want(S::Policy, "red"),
       applied(A::Attached, S::Policy, "red"), reload, Step::Nothing},
      {"a policy's VRF no policy wants: detach", want(S::None, {}),
       applied(A::Attached, S::Policy, "red"), reload, Step::Detach},
      {"a policy's VRF another policy names: detach (then attach)", want(S::Policy, "green"),
       applied(A::Attached, S::Policy, "red"), reload, Step::Detach},
      {"a person's attach is not taken back by a reload", want(S::None, {}),
       applied(A::Attached, S::Temporary, "red"), reload, Step::Nothing},
      {"a stored request's attach stays while a policy wants another", want(S::Policy, "green"),
       applied(A::Attached, S::Request, "red"), reload, Step::Nothing},
      {"a label's attach stays", want(S::None, {}), applied(A::Attached, S::Label, "red"), reload,
       Step::Nothing},
      {"failed: not retried on any change", want(S::Label, "red"),
       applied(A::Failed, S::Label, "red"), changed, Step::Nothing},
      {"failed label: not retried at reload either", want(S::Label, "red"),
       applied(A::Failed, S::Label, "red"), reload, Step::Nothing},
      {"failed policy: retried at reload", want(S::Policy, "red"),
       applied(A::Failed, S::Policy, "red"), reload, Step::Attach},
      {"failed, now a policy wants it: retried at reload", want(S::Policy, "red"),
       applied(A::Failed, S::Label, "red"), reload, Step::Attach},
      {"failed policy no longer wanted: nothing", want(S::None, {}),
       applied(A::Failed, S::Policy, "red"), reload, Step::Nothing},
      {"failed policy, at reload, bad labels now: refused",
       want(S::Policy, {}, "policy 0: key vrf: empty"), applied(A::Failed, S::Policy, "red"),
       reload, Step::Refuse},
  };
  for (const Row& r : rows)
    EXPECT_EQ(toString(nextStep(r.want, r.applied, r.why)), std::string(toString(r.step)))
        << r.what;
}

TEST(Reconcile, AnAttachedRequestDiffersByTableInterfacesOrStrictness) {
  WantedPart<InsideRequest> w = want(WantSource::Policy, "red");
  Applied<InsideRequest> a = applied(AttachState::Attached, WantSource::Policy, "red");
  EXPECT_EQ(nextStep(w, a, Trigger::Reload), Step::Nothing);
  w.request->table = 1042;
  EXPECT_EQ(nextStep(w, a, Trigger::Reload), Step::Detach);
  w.request->table.reset();
  w.request->interfaces = {"eth1"};
  EXPECT_EQ(nextStep(w, a, Trigger::Reload), Step::Detach);
  w.request->interfaces.clear();
  w.request->strict = true;
  EXPECT_EQ(nextStep(w, a, Trigger::Reload), Step::Detach);
}

// A network connected while the container runs: a VRF that takes every interface takes the
// new one too (attached again); one that names its interfaces does not.
TEST(Reconcile, AConnectedNetworkJoinsAVrfOfEveryInterface) {
  WantedPart<InsideRequest> w = want(WantSource::Label, "red");
  Applied<InsideRequest> a = applied(AttachState::Attached, WantSource::Label, "red");
  EXPECT_EQ(nextStep(w, a, Trigger::Changed), Step::Nothing);
  EXPECT_EQ(nextStep(w, a, Trigger::Connected), Step::Attach);
  w.request->interfaces = {"eth0"};
  a.asked->interfaces = {"eth0"};
  EXPECT_EQ(nextStep(w, a, Trigger::Connected), Step::Nothing);
  EXPECT_EQ(
      nextStep(w, applied(AttachState::Pending, WantSource::Label, "red"), Trigger::Connected),
      Step::Wait);
}

TEST(Reconcile, AnInterfaceVrfFollowsItsNetworks) {
  InsideRequest blue = into("blue");
  blue.macs = {"02:42:cb:00:71:02"};
  blue.strict = true;
  InsideRequest more = blue;
  more.macs.push_back("02:42:cb:00:71:12");
  auto at = [](AttachState s, std::optional<InsideRequest> asked) {
    return Applied<InsideRequest>{s, WantSource::Label, std::move(asked)};
  };
  struct {
    const char* what;
    const InsideRequest* want;
    Applied<InsideRequest> applied;
    Step step;
  } rows[] = {
      {"wanted, not applied: attach", &blue, at(AttachState::None, {}), Step::Attach},
      {"neither: nothing", nullptr, at(AttachState::None, {}), Step::Nothing},
      {"as wanted: nothing", &blue, at(AttachState::Attached, blue), Step::Nothing},
      {"a second network connected: attach", &more, at(AttachState::Attached, blue), Step::Attach},
      {"one of two disconnected: attach as now wanted", &blue, at(AttachState::Attached, more),
       Step::Attach},
      {"its last network disconnected: detach", nullptr, at(AttachState::Attached, blue),
       Step::Detach},
      {"a job under way: wait", &blue, at(AttachState::Pending, blue), Step::Wait},
      {"not wanted, a job under way: wait", nullptr, at(AttachState::Pending, blue), Step::Wait},
      {"failed as wanted: not again", &blue, at(AttachState::Failed, blue), Step::Nothing},
      {"failed, now wanted otherwise: attach", &more, at(AttachState::Failed, blue), Step::Attach},
      // An earlier attach may have left its VRF (the interface went before its network's
      // disconnect was heard, and attaching it again failed): deleted, if netvrfd made it.
      {"failed, no longer wanted: detach", nullptr, at(AttachState::Failed, blue), Step::Detach},
  };
  for (const auto& r : rows)
    EXPECT_EQ(toString(nextInterfaceStep(r.want, r.applied)), std::string(toString(r.step)))
        << r.what;
  InsideRequest asDefault = blue;
  asDefault.strict = false;  // it became the default (its network says so)
  EXPECT_EQ(nextInterfaceStep(&asDefault, at(AttachState::Attached, blue)), Step::Attach);
  // And back (a second VRF claimed the default too): the rule goes with a detach first.
  EXPECT_EQ(nextInterfaceStep(&blue, at(AttachState::Attached, asDefault)), Step::Detach);
}

TEST(Reconcile, AHostLegIsComparedWithoutItsDerivedName) {
  HostSideRequest leg;
  leg.vrf = "blue";
  leg.addresses = {"192.0.2.10/24"};
  leg.hostIfname = "nv3f2a9c1d0b";
  WantedPart<HostSideRequest> w;
  w.source = WantSource::Policy;
  w.request = leg;
  w.request->hostIfname = "nv0000000000";  // derived from the container id each time
  Applied<HostSideRequest> a{AttachState::Attached, WantSource::Policy, leg};
  EXPECT_EQ(nextStep(w, a, Trigger::Reload), Step::Nothing);
  w.request->addresses = {"192.0.2.11/24"};
  EXPECT_EQ(nextStep(w, a, Trigger::Reload), Step::Detach);
  w.request->addresses = leg.addresses;
  w.request->gateways = {"192.0.2.1"};
  EXPECT_EQ(nextStep(w, a, Trigger::Reload), Step::Detach);
}

}  // namespace
}  // namespace netvrf
