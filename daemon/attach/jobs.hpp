#pragma once

// The work the loop hands to the attach worker: one struct per kind of job, each with the
// result it gives and a completion (`then`) that runs on the loop thread with that result.
// A completion knows what it was asked for (it captures it), so nothing routes outcomes back
// by convention.

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "attach/host_side.hpp"
#include "attach/host_vrfs.hpp"
#include "attach/inside.hpp"
#include "common/fd.hpp"
#include "firewall/ruleset.hpp"
#include "netlink/route.hpp"
#include "netlink/vrf.hpp"

namespace netvrf {

// What a job gave: its value, or one line saying why not.
template <typename T>
struct Done {
  std::optional<T> value;  // set on success
  std::string error;       // one line, on failure
  VrfError::Kind errorKind = VrfError::Kind::Failed;

  static Done failed(std::string why, VrfError::Kind kind = VrfError::Kind::Failed) {
    Done d;
    d.error = std::move(why);
    d.errorKind = kind;
    return d;
  }
  explicit operator bool() const { return value.has_value(); }
};

struct Nothing {};  // the value of a job whose success carries nothing

template <typename T>
using Then = std::function<void(Done<T>)>;

// Which of VRF `vrf` and the interfaces asked about are still so.
struct CheckResult {
  bool vrf = false;
  std::vector<std::string> enslaved;
  // Of the interfaces asked about, those that no longer exist (a network was disconnected).
  std::vector<std::string> deleted;
};

namespace job {

// VRF request.vrf inside `netns` (a container's, or the host's for a network's bridge), with
// the interfaces' addresses and routes (attachInside).
struct Attach {
  Fd netns;
  std::string who;  // for log lines: "container web1 (docker 3f2a...)"
  InsideRequest request;
  // In a container: routes to put back into the VRF's table after the attach (they went with a
  // VRF or an interface someone else took away), and the VRF's routes kept in the result.
  bool container = true;
  std::shared_ptr<const RouteSnapshot> restore;
  struct Result {
    InsideResult attached;
    std::shared_ptr<const RouteSnapshot> routes;  // container only, when they could be read
  };
  Then<Result> then;
};

// Out of VRF `vrf` (every VRF netvrf made there when unset), in `netns` (detachInside).
struct Detach {
  Fd netns;
  std::string who;
  std::optional<std::string> vrf;
  Then<InsideDetachResult> then;
};

// A veth leg between the host's VRF leg.vrf and `netns` (attachHostSide).
struct AttachHost {
  Fd netns;
  std::string who;
  HostSideRequest leg;
  Then<HostSideResult> then;
};

// The host end of a leg goes (detachHostSide); true when it was there.
struct DetachHost {
  HostSideRequest leg;
  Then<bool> then;
};

// Whether VRF `vrf` and `interfaces` are still so in `netns`. If the VRF is gone, what it left
// is cleared (clearDeletedVrf with `table`; `container`: a container's namespace).
struct Check {
  Fd netns;
  std::string vrf;
  std::vector<std::string> interfaces;
  std::optional<uint64_t> table;
  bool container = true;
  Then<CheckResult> then;
};

// On the host: VRF `vrf`, if netvrf made it and nothing is in it; true when deleted.
struct DeleteIfUnused {
  std::string vrf;
  Then<bool> then;
};

// On the host: `bridge` out of VRF `vrf` (releaseFromHostVrf); true when it was in it.
struct Release {
  std::string vrf;
  std::string bridge;
  Then<bool> then;
};

// The host's VRFs.
struct ListVrfs {
  Then<std::vector<HostVrf>> then;
};

// On the host: VRF `vrf` made (or found), with `table` or the table map's.
struct CreateVrf {
  std::string vrf;
  std::optional<uint64_t> table;
  Then<HostVrf> then;
};

struct DeleteVrf {
  std::string vrf;
  Then<Nothing> then;
};

// In the host's firewall: netvrfd's chains (firewall/ruleset.hpp) for IPv4 and IPv6; true when
// iptables was there to put them in. `full`: as firewall/iptables.hpp says.
struct Firewall {
  Ruleset ipv4;
  Ruleset ipv6;
  bool full = true;
  Then<bool> then;
};

}  // namespace job

using Job =
    std::variant<job::Attach, job::Detach, job::AttachHost, job::DetachHost, job::Check,
                 job::DeleteIfUnused, job::Release, job::ListVrfs, job::CreateVrf, job::DeleteVrf,
                 job::Firewall>;

// Where jobs go. The attach worker runs them one after the other, in order, on a thread of its
// own, and each completion runs later on the loop thread; unit tests use a fake that answers as
// the test says.
class Worker {
 public:
  virtual ~Worker() = default;
  virtual void submit(Job job) = 0;
};

}  // namespace netvrf
