#pragma once

#include "firewall/ruleset.hpp"

namespace netvrf {

// Puts netvrfd's chains (firewall/ruleset.hpp) into the host's firewall, for IPv4 (iptables)
// and IPv6 (ip6tables): NETVRF-FORWARD jumped to from DOCKER-USER (Docker's documented chain
// for its users' rules, which it never flushes), or from FORWARD where Docker made none (no
// Docker, --iptables=false, Docker 20.10's IPv6), NETVRF-PREROUTING and NETVRF-OUTPUT from nat
// PREROUTING and OUTPUT, each jump first. Only these chains and jumps are ever touched. Runs
// iptables(-restore), so the backend (nft or legacy) is the one Docker and Podman use.
// Blocking: the attach worker's, which owns the one instance.
class Iptables {
 public:
  // `rules` in the family's firewall. `full`: look at Docker's chains again, write netvrfd's
  // whole and make sure of the jumps (the first time, and after dockerd (re)started); else only
  // what changed since the last call is written, in one iptables-restore (the whole chains
  // when that fails: someone changed them). Empty `rules`: the chains and the jumps go.
  // Returns false when there is no iptables (ip6tables) to run: nothing done. Throws
  // std::runtime_error with the tool's own message.
  bool apply(bool ipv6, const Ruleset& rules, bool full);

 private:
  struct Family {
    bool known = false;  // Docker's chains were looked at
    bool tool = false;   // and the tool is there
    Ruleset applied;     // what netvrfd's chains hold
  };
  bool applyFull(bool ipv6, const Ruleset& rules, Family& f);
  Family families_[2];
};

}  // namespace netvrf
