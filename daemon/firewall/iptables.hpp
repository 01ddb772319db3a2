#pragma once

#include "firewall/ruleset.hpp"

namespace netvrf {

// Puts netvrfd's chains (firewall/ruleset.hpp) into Docker's firewall for IPv4 or IPv6, in one
// iptables-restore: NETVRF-FORWARD jumped to from DOCKER-USER (Docker's documented chain for its
// users' rules, which it never flushes; from FORWARD where Docker makes none, as Docker 20.10
// for IPv6), NETVRF-PREROUTING and NETVRF-OUTPUT from nat PREROUTING and OUTPUT, each jump
// first. Empty `rules`: the chains and the jumps go. Only these chains and jumps are ever
// touched. Runs iptables(-restore) / ip6tables(-restore), so the backend (nft or legacy) is the
// one Docker uses. Returns false when Docker's firewall is not there for that family (no chain
// DOCKER: --iptables=false, --ip6tables off, dockerd not started yet): nothing done. Throws
// std::runtime_error with the tool's own message. Blocking: the attach worker's.
bool applyRuleset(bool ipv6, const Ruleset& rules);

}  // namespace netvrf
