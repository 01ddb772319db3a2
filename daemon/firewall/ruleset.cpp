#include "firewall/ruleset.hpp"

#include <set>

namespace netvrf {

namespace {

void chain(std::string& out, const char* name, const std::vector<std::string>& rules) {
  out += ":" + std::string(name) + " - [0:0]\n";
  for (const auto& r : rules) out += "-A " + std::string(name) + " " + r + "\n";
}

// The -D and -A lines that turn `from` into `to` in chain `name`.
std::string changes(const char* name, const std::vector<std::string>& from,
                    const std::vector<std::string>& to) {
  std::set<std::string> before(from.begin(), from.end()), after(to.begin(), to.end());
  std::string out;
  for (const auto& r : before)
    if (!after.count(r)) out += "-D " + std::string(name) + " " + r + "\n";
  for (const auto& r : to)
    if (!before.count(r)) out += "-A " + std::string(name) + " " + r + "\n";
  return out;
}

}  // namespace

std::string restoreChanges(const Ruleset& from, const Ruleset& to) {
  std::string filter = changes(kForwardChain, from.forward, to.forward);
  std::string nat = changes(kPreroutingChain, from.prerouting, to.prerouting) +
                    changes(kOutputChain, from.output, to.output);
  std::string out;
  if (!filter.empty()) out += "*filter\n" + filter + "COMMIT\n";
  if (!nat.empty()) out += "*nat\n" + nat + "COMMIT\n";
  return out;
}

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
