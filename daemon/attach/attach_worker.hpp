#pragma once

#include <sys/types.h>

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <thread>

#include "attach/host_side.hpp"
#include "attach/host_vrfs.hpp"
#include "attach/inside.hpp"
#include "common/blocking_queue.hpp"
#include "common/fd.hpp"
#include "config.hpp"
#include "netlink/route.hpp"
#include "netlink/tables.hpp"

namespace netvrf {

struct AttachJob {
  enum class Kind {
    Attach,          // attachInside(request) in `netns`
    Detach,          // detachInside(request.vrf, "" = every VRF netvrf made) in `netns`
    AttachHost,      // attachHostSide(host) between the host and `netns`
    DetachHost,      // detachHostSide(host): the container is gone
    DeleteIfUnused,  // delete VRF request.vrf in `netns` if netvrf made it and it is empty
    ListVrfs,        // the host's VRFs (every outcome carries them; this job does nothing else)
    CreateVrf,       // addHostVrf(request.vrf, request.table) on the host
    DeleteVrf,       // deleteHostVrf(request.vrf) on the host
    Release,         // releaseFromHostVrf(request.vrf, request.interfaces[0]): a network's bridge
    Check,           // which of VRF request.vrf and its request.interfaces are still so in
                     // `netns`; if the VRF is gone, clearDeletedVrf(request.table) (pid 0: in
                     // the host's namespace)
  };
  Kind kind = Kind::Attach;
  std::string key;  // the manager's name for the container
  std::string who;  // for log lines: "container web1 (docker 3f2a...)"
  pid_t pid = 0;    // the instance it was asked for
  Fd netns;         // its namespace, held open while the job runs
  InsideRequest request;
  HostSideRequest host;  // AttachHost, DetachHost
  uint64_t ticket = 0;   // set by the manager when an API call waits for the outcome
  // Attach in a container: routes to put back into the VRF's table, taken after the attach
  // before (they went with a VRF or an interface someone else took away).
  std::shared_ptr<const RouteSnapshot> restore;
};

// What a Check job found: whether the VRF is still there, and which of the interfaces asked
// about are still in it.
struct CheckResult {
  bool vrf = false;
  std::vector<std::string> enslaved;
};

struct AttachOutcome {
  using Kind = AttachJob::Kind;
  std::string key;
  pid_t pid = 0;
  std::string vrf;
  Kind kind = Kind::Attach;
  std::optional<InsideResult> result;              // set on a successful attach
  std::optional<HostSideResult> hostResult;        // set on a successful AttachHost
  bool deleted = false;  // DeleteIfUnused deleted the VRF; Release found the bridge in it
  std::optional<InsideDetachResult> detachResult;  // set on a successful Detach
  std::optional<HostVrf> vrfAdded;                 // set on a successful CreateVrf
  std::optional<CheckResult> check;                // set on a successful Check
  // A successful Attach in a container: the routes in the VRF's table through its interfaces.
  std::shared_ptr<const RouteSnapshot> vrfRoutes;
  // The host's VRFs once the job is done, whatever it was (unset if they cannot be listed), so
  // the manager's view follows every change netvrf makes.
  std::optional<std::vector<HostVrf>> hostVrfs;
  uint64_t ticket = 0;                             // the job's, for an API call waiting on it
  std::string error;                               // one line, on failure
  VrfError::Kind errorKind = VrfError::Kind::Failed;
};

// Carries out attach jobs one after the other on a thread of its own, so that the event loop
// never waits on netlink or on the kernel's address settling. A VRF without a table gets the
// one the table map keeps for its name (allocated from the configured range, among the tables
// not in use in that namespace). Outcomes go to `done`, from the worker thread.
class AttachWorker {
 public:
  AttachWorker(const VrfConfig& config, std::function<void(AttachOutcome)> done);
  ~AttachWorker();

  void submit(AttachJob job);

 private:
  void loop();
  AttachOutcome runJob(AttachJob& job);
  void keepRoutes(nl_sock* sock, const AttachJob& job, AttachOutcome& out);
  // The table a request without one gets: the map's for a VRF that does not exist yet in the
  // namespace `sock` is bound to. `handedOut`: the map gave it just now, for this request; it
  // goes back if the request fails (a failed request leaves the table files as they were).
  std::optional<uint64_t> tableFor(nl_sock* sock, const std::string& vrf,
                                   std::optional<uint64_t> given, bool& handedOut);

  TableMap tables_;  // touched by the worker thread only
  TableRange range_;
  std::function<void(AttachOutcome)> done_;
  BlockingQueue<AttachJob> jobs_;
  std::thread thread_;
};

}  // namespace netvrf
