#pragma once

#include <optional>
#include <string>
#include <vector>

#include "attach/host_vrfs.hpp"
#include "attach/jobs.hpp"
#include "firewall/forward_rules.hpp"
#include "networks/networks.hpp"

namespace netvrf {

// Keeps Docker's firewall letting a host VRF's container networks out to the VRF's other
// members (firewall/forward_rules.hpp): whenever the host's VRFs are listed again (after every
// job of the attach worker, and when a host link changes), the rules they call for are compared
// with the last ones applied and, when they differ, applied on the attach worker. The first
// update applies whatever it finds, an empty set too: what a previous run left is replaced.
// Runs on the loop thread only.
class Firewall {
 public:
  void setWorker(Worker* worker) { worker_ = worker; }

  // `again`: apply even when nothing changed here (dockerd started: its chains are new).
  void update(const std::vector<HostVrf>& vrfs, const Networks& networks, bool again = false);

 private:
  Worker* worker_ = nullptr;
  std::optional<std::vector<VrfForward>> asked_;  // none: nothing asked yet, or it failed
};

}  // namespace netvrf
