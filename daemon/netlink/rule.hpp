#pragma once

#include <netlink/socket.h>

#include <cstdint>
#include <optional>

namespace netvrf {

// The rule that sends lookups of sockets bound to no VRF into a VRF's table, so that an
// unmodified process in an attached namespace still reaches its peers.
inline constexpr uint32_t kUnboundRulePref = 2000;

// The table of the `pref` rule (IPv4), if there is one.
std::optional<uint32_t> lookupRuleTable(nl_sock* sock, uint32_t pref);
// `pref N lookup TABLE` for IPv4 and IPv6; already there counts as added.
void addLookupRule(nl_sock* sock, uint32_t pref, uint32_t table);
// Deletes those rules; gone already counts as deleted.
void deleteLookupRule(nl_sock* sock, uint32_t pref, uint32_t table);

}  // namespace netvrf
