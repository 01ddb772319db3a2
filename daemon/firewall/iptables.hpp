#pragma once

#include <string>
#include <vector>

namespace netvrf {

// Puts chain NETVRF-FORWARD into Docker's firewall for IPv4 or IPv6: `rules` (forwardRules'),
// jumped to from DOCKER-USER, Docker's documented chain for its users' rules, which it never
// flushes. Empty `rules`: the chain and the jump go. Only this chain and this jump are ever
// touched. Runs iptables(-restore) / ip6tables(-restore), so the backend (nft or legacy) is the
// one Docker uses. Returns false when there is no DOCKER-USER (Docker's firewall is off, or
// dockerd has not made it yet): nothing done. Throws std::runtime_error with the tool's own
// message. Blocking: the attach worker's.
bool applyForward(bool ipv6, const std::vector<std::string>& rules);

}  // namespace netvrf
