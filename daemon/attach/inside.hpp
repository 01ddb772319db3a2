#pragma once

#include <netlink/socket.h>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "attach/steps.hpp"
#include "netlink/vrf.hpp"

namespace netvrf {

// Attaching the namespace a socket is bound to (a container's, usually) to a VRF inside it,
// as the CNI vrf plugin does from within, but for any running namespace.
struct InsideRequest {
  std::string vrf;
  // The table for a VRF that does not exist yet. An existing VRF keeps its own; a different
  // table given here is an error.
  std::optional<uint64_t> table;
  // The interfaces to enslave; empty means all but loopback, VRFs and ports of other masters.
  std::vector<std::string> interfaces;
  // Leave processes that bind to no VRF alone. Otherwise their lookups go to the VRF's table
  // (rule pref 2000) and they accept connections arriving through it (tcp/udp_l3mdev_accept),
  // so an unmodified process keeps working.
  bool strict = false;
  // And the interfaces with these MAC addresses ("02:42:cb:00:71:02"): a runtime names the
  // interface of a container on one of its networks by MAC only. Not kept in stored requests.
  std::vector<std::string> macs;
};

struct InsideResult {
  VrfInfo vrf;
  std::vector<std::string> interfaces;  // enslaved to it now, including ones that already were
  bool vrfCreated = false;
  size_t routesMoved = 0;
};

// Ensures VRF `req.vrf`, enslaves the interfaces, keeps their addresses and routes (moved into
// the VRF table) and, unless strict, steers unbound sockets into it. Idempotent; all or nothing:
// throws VrfError for bad input (nothing changed) or for a step that failed (rolled back, the
// message names the step). Must run on a thread inside the namespace (runInNetns): it writes the
// namespace's sysctls.
InsideResult attachInside(nl_sock* sock, const InsideRequest& req, const StepHook& hook = {});

struct InsideDetachResult {
  std::vector<std::string> vrfs;        // detached from
  std::vector<std::string> interfaces;  // released
  std::vector<std::string> vrfsDeleted;
};

// Releases the interfaces of VRF `vrf` (of every VRF netvrf created in this namespace when
// not given) with their addresses and routes back into the main table, removes the unbound
// rule pointing at it, and deletes the VRF if netvrf created it. Nothing to detach is success.
InsideDetachResult detachInside(nl_sock* sock, const std::optional<std::string>& vrf,
                                const StepHook& hook = {});

// What a VRF netvrf attached leaves in its namespace when someone else deletes it: the table's
// catch-all routes (which keep the table from a new VRF) and, in a container's namespace
// (`container`), the rule that sends unbound sockets' lookups to `table`, which would now drop
// its traffic, and with no VRF left the accept sysctls and the l3mdev rules. The host's own
// settings are not netvrf's to reset. Nothing when another VRF has taken `table` meanwhile.
void clearDeletedVrf(nl_sock* sock, uint32_t table, bool container);

// Deletes VRF `vrf` if netvrf created it and no interface is enslaved to it any more (a Docker
// network's bridge went with its network). True when it was deleted.
bool deleteVrfIfUnused(nl_sock* sock, const std::string& vrf);

// What lets an unbound socket accept connections that arrive through a VRF; attachInside sets
// them to 1 unless strict.
inline constexpr const char* kAcceptSysctls[] = {"net/ipv4/tcp_l3mdev_accept",
                                                 "net/ipv4/udp_l3mdev_accept"};

// The alias netvrf gives the VRFs it creates, so it deletes only those.
inline constexpr const char* kOwnedAlias = "netvrf";

}  // namespace netvrf
