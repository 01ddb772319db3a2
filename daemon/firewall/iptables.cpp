#include "firewall/iptables.hpp"

#include <stdexcept>
#include <system_error>

#include "common/subprocess.hpp"

namespace netvrf {

namespace {

std::string firstLine(const std::string& s) {
  std::string line = s.substr(0, s.find('\n'));
  return line.empty() ? "failed" : line;
}

struct Hook {
  const char* table;
  std::string from;  // the built-in (or Docker's) chain that jumps to ours
  const char* chain;
};

}  // namespace

bool applyRuleset(bool ipv6, const Ruleset& rules) {
  const std::string tool = ipv6 ? "ip6tables" : "iptables";
  auto run = [&](const char* table, std::vector<std::string> args) {
    args.insert(args.begin(), {tool, "-w", "-t", table});
    return runProgram(args);
  };
  bool docker = false, user = false;
  try {
    docker = run("filter", {"-n", "-L", "DOCKER"}).status == 0;
  } catch (const std::system_error& e) {
    // No iptables at all: no Docker firewall either (dockerd needs it for one).
    if (e.code() == std::errc::no_such_file_or_directory) return false;
    throw;
  }
  if (!docker) return false;
  user = run("filter", {"-n", "-L", "DOCKER-USER"}).status == 0;
  const std::vector<Hook> hooks = {{"filter", user ? "DOCKER-USER" : "FORWARD", kForwardChain},
                                   {"nat", "PREROUTING", kPreroutingChain},
                                   {"nat", "OUTPUT", kOutputChain}};
  if (rules.empty()) {
    for (const auto& h : hooks) {
      while (run(h.table, {"-D", h.from, "-j", h.chain}).status == 0) {
      }
      if (h.from == "DOCKER-USER")  // and a jump from FORWARD made before Docker made its chain
        while (run(h.table, {"-D", "FORWARD", "-j", h.chain}).status == 0) {
        }
      if (run(h.table, {"-n", "-L", h.chain}).status == 0) {
        run(h.table, {"-F", h.chain});
        run(h.table, {"-X", h.chain});
      }
    }
    return true;
  }
  ProgramResult restored = runProgram({tool + "-restore", "-w", "--noflush"}, restoreInput(rules));
  if (restored.status != 0)
    throw std::runtime_error(tool + "-restore: " + firstLine(restored.output));
  for (const auto& h : hooks) {
    if (run(h.table, {"-C", h.from, "-j", h.chain}).status == 0) continue;
    ProgramResult inserted = run(h.table, {"-I", h.from, "1", "-j", h.chain});
    if (inserted.status != 0)
      throw std::runtime_error(tool + " -t " + h.table + " -I " + h.from + ": " +
                               firstLine(inserted.output));
  }
  return true;
}

}  // namespace netvrf
