#pragma once

// netvrfd's three chains in one family's firewall (iptables or ip6tables), as iptables
// arguments after the chain name, and how they are written in one go. Pure: unit-tested;
// firewall/iptables.hpp applies them.

#include <string>
#include <vector>

namespace netvrf {

inline constexpr const char* kForwardChain = "NETVRF-FORWARD";        // filter, from DOCKER-USER
inline constexpr const char* kPreroutingChain = "NETVRF-PREROUTING";  // nat, from PREROUTING
inline constexpr const char* kOutputChain = "NETVRF-OUTPUT";          // nat, from OUTPUT

struct Ruleset {
  std::vector<std::string> forward;     // firewall/forward_rules.hpp
  std::vector<std::string> prerouting;  // firewall/port_rules.hpp
  std::vector<std::string> output;
  bool empty() const { return forward.empty() && prerouting.empty() && output.empty(); }
  bool operator==(const Ruleset&) const = default;
};

// iptables-restore input that replaces the three chains' rules with `rules` (and makes the
// chains that are missing), leaving every other chain as it is (with --noflush).
std::string restoreInput(const Ruleset& rules);

// iptables-restore input (with --noflush) that turns chains holding `from` into `to` by deleting
// the rules that went and appending those that came: a change costs what changed, not the
// chains' size. The rules of a chain match disjoint packets, so their order does not matter.
// Empty when nothing changed. Fails as a whole (nothing applied) when a rule to delete is not
// there: the caller then writes the chains whole.
std::string restoreChanges(const Ruleset& from, const Ruleset& to);

}  // namespace netvrf
