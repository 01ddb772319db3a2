#include "firewall/ruleset.hpp"

namespace netvrf {

namespace {

void chain(std::string& out, const char* name, const std::vector<std::string>& rules) {
  out += ":" + std::string(name) + " - [0:0]\n";
  for (const auto& r : rules) out += "-A " + std::string(name) + " " + r + "\n";
}

}  // namespace

std::string restoreInput(const Ruleset& rules) {
  // A chain named in the input is flushed first, even with --noflush: the rules below replace
  // whatever it held (a previous run's, too).
  std::string out = "*filter\n";
  chain(out, kForwardChain, rules.forward);
  out += "COMMIT\n*nat\n";
  chain(out, kPreroutingChain, rules.prerouting);
  chain(out, kOutputChain, rules.output);
  return out + "COMMIT\n";
}

}  // namespace netvrf
