#pragma once

// What is applied to one registered container's VRFs, as the loop thread last heard from the
// attach worker, and what was last asked of it. Made when the container is first reconciled or
// asked about, gone with its binding (the registry's, which lives as long).

#include <chrono>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "attach/jobs.hpp"
#include "registry/netns_registry.hpp"
#include "targets/reconcile.hpp"
#include "targets/wanted.hpp"

namespace netvrf {

struct Target {
  const Binding* b = nullptr;
  TemporaryRequests temporary;  // asked with --temporary for this instance
  // Where what was last asked of the attach worker came from, and what it was: a reload
  // takes back only what a policy attached.
  WantSource insideFrom = WantSource::None;
  std::optional<InsideRequest> insideAsked;
  WantSource hostFrom = WantSource::None;
  AttachState attach = AttachState::None;      // netvrf.vrf
  std::string vrf;                             // while Attached
  uint32_t table = 0;                          // while Attached
  std::vector<std::string> interfaces;         // while Attached
  AttachState hostAttach = AttachState::None;  // netvrf.host_vrf
  std::optional<HostSideRequest> hostLeg;      // while Pending or Attached
  // Its interface VRFs (networks labelled netvrf.container_vrf, netvrf.vrf.<interface>), by
  // VRF name.
  struct InterfacePart {
    AttachState state = AttachState::None;
    std::optional<InsideRequest> asked;   // what was last asked of the worker
    uint32_t table = 0;                   // while Attached
    std::vector<std::string> interfaces;  // while Attached
    bool heldOut = false;                 // detached over the API: not again for this instance
  };
  std::map<std::string, InterfacePart> interfaceParts;
  // Something changed while a job of it was under way: why, to reconcile once it is done.
  std::optional<Trigger> again;
  // The last attach, detach or check of this instance that went wrong, and when.
  std::string lastError;
  std::chrono::system_clock::time_point lastErrorAt;
  // The routes in its VRF's table after the last attach: put back when the VRF or an
  // interface is taken away behind netvrfd's back and what is wanted asks for it again.
  std::shared_ptr<const RouteSnapshot> vrfRoutes;

  // A job of one of its parts is under way.
  bool anyPending() const;
  // An interface VRF of it is attached (its namespace's links are followed while one is).
  bool anyInterfaceVrfAttached() const;
  // Its own VRF is no longer applied (detached, or deleted behind netvrfd's back).
  void leftOwnVrf() {
    attach = AttachState::None;
    vrf.clear();
    table = 0;
    interfaces.clear();
  }
};

}  // namespace netvrf
