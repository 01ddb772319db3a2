#pragma once

#include <netlink/socket.h>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "attach/steps.hpp"
#include "netlink/vrf.hpp"

namespace netvrf {

// Attaching a container to a VRF of the host: a veth pair whose host end is enslaved to the
// host's VRF and whose container end gets the addresses given. The container's own interfaces
// stay as they are.
struct HostSideRequest {
  std::string vrf;                // the host's VRF, created when missing
  std::optional<uint64_t> table;  // for a VRF that does not exist yet
  std::string hostIfname;         // see defaultHostIfname()
  std::string containerIfname;    // see defaultContainerIfname()
  // The container end's addresses, with prefix ("203.0.113.10/24", "2001:db8:5::10/64"); at
  // least one.
  std::vector<std::string> addresses;
  // At most one per family, inside the prefix of an address of that family. The host end gets
  // it (with that prefix), and the container a default route through it when it has none for
  // that family (e.g. --network none).
  std::vector<std::string> gateways;
};

struct HostSideResult {
  VrfInfo vrf;
  std::string hostIfname;  // the host end, in the VRF
  bool vrfCreated = false;
  bool created = false;  // false when the pair was there already (attach twice = once)
  std::vector<std::string> defaultRoutes;  // added in the container ("default via 203.0.113.1")
};

// "nv-red": the container end, derived from the VRF and at most 15 bytes.
std::string defaultContainerIfname(const std::string& vrf);
// "nv" + 8 hex digits of the container id + 4 of a hash of the VRF: unique on the host per
// container and VRF, at most 15 bytes.
std::string defaultHostIfname(const std::string& containerId, const std::string& vrf);

// Why the addresses or gateways of `req` cannot be used, or nothing: what attachHostSide()
// checks first, without the kernel, so a caller can refuse a request before it is queued.
std::optional<std::string> hostSideAddressError(const HostSideRequest& req);

// `host`: a socket in the host's namespace; `containerNetns`: the container's namespace.
// Idempotent and all or nothing; throws VrfError naming the bad input or the failed step.
HostSideResult attachHostSide(nl_sock* host, int containerNetns, const HostSideRequest& req,
                              const StepHook& hook = {});

// Deletes the pair (both ends go with the host end) and the host VRF if netvrf created it and
// nothing else is in it. False when there was no pair.
bool detachHostSide(nl_sock* host, const std::string& hostIfname, const std::string& vrf);

}  // namespace netvrf
