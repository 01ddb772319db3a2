#pragma once

#include <functional>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "attach/host_vrfs.hpp"
#include "attach/jobs.hpp"
#include "common/blocking_queue.hpp"
#include "config.hpp"
#include "firewall/iptables.hpp"
#include "netlink/tables.hpp"

struct nl_sock;

namespace netvrf {

// Carries out jobs one after the other on a thread of its own, so that the event loop never
// waits on netlink or on the kernel's address settling. A VRF without a table gets the one the
// table map keeps for its name (allocated from the configured range, among the tables not in
// use in that namespace).
//
// After each job the worker lists the host's VRFs, and hands `post` (which runs it on the loop
// thread) one step that gives `hostVrfs` that list, so the loop's view follows every change
// netvrf makes, and then calls the job's completion.
class AttachWorker : public Worker {
 public:
  using Post = std::function<void(std::function<void()>)>;
  AttachWorker(const VrfConfig& config, Post post,
               std::function<void(const std::vector<HostVrf>&)> hostVrfs);
  ~AttachWorker() override;

  void submit(Job job) override;

 private:
  void loop();
  // One per kind of job; each throws on failure (VrfError names the kind).
  job::Attach::Result run(job::Attach& j);
  InsideDetachResult run(job::Detach& j);
  HostSideResult run(job::AttachHost& j);
  bool run(job::DetachHost& j);
  CheckResult run(job::Check& j);
  bool run(job::DeleteIfUnused& j);
  bool run(job::Release& j);
  std::vector<HostVrf> run(job::ListVrfs& j);
  HostVrf run(job::CreateVrf& j);
  Nothing run(job::DeleteVrf& j);
  bool run(job::Firewall& j);

  void keepRoutes(nl_sock* sock, const job::Attach& j, job::Attach::Result& out);
  // The table a request without one gets: the map's for a VRF that does not exist yet in the
  // namespace `sock` is bound to. `handedOut`: the map gave it just now, for this request; it
  // goes back if the request fails (a failed request leaves the table files as they were).
  std::optional<uint64_t> tableFor(nl_sock* sock, const std::string& vrf,
                                   std::optional<uint64_t> given, bool& handedOut);

  TableMap tables_;    // touched by the worker thread only
  Iptables iptables_;  // the same
  TableRange range_;
  Post post_;
  std::function<void(const std::vector<HostVrf>&)> hostVrfs_;
  BlockingQueue<Job> jobs_;
  std::thread thread_;
};

}  // namespace netvrf
