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

bool cannotRun(const std::string& output) {
  for (const char* why : {"Permission denied", "not permitted", "not supported", "initialize"})
    if (output.find(why) != std::string::npos) return true;
  return false;
}

// iptables-legacy talks to the kernel through an AF_INET raw socket, which netvrfd.service
// does not allow (iptables-nft needs only netlink).
std::string legacyHint(const std::string& tool) {
  try {
    if (runProgram({tool, "-V"}).output.find("legacy") != std::string::npos)
      return " (this host's " + tool +
             " is the legacy one, which needs AF_INET and CAP_NET_RAW: see README, "
             "\"Docker's firewall\")";
  } catch (const std::exception&) {
  }
  return "";
}

struct Hook {
  const char* table;
  std::string from;  // the built-in (or Docker's) chain that jumps to ours
  const char* chain;
};

}  // namespace

bool Iptables::apply(bool ipv6, const Ruleset& rules, bool full) {
  Family& f = families_[ipv6 ? 1 : 0];
  if (full || !f.known || rules.empty() != f.applied.empty()) return applyFull(ipv6, rules, f);
  if (!f.tool) return false;
  std::string changes = restoreChanges(f.applied, rules);
  if (changes.empty()) return true;
  const std::string tool = ipv6 ? "ip6tables" : "iptables";
  if (runProgram({tool + "-restore", "-w", "--noflush"}, changes).status != 0)
    return applyFull(ipv6, rules, f);  // a rule to delete was not there: written whole
  f.applied = rules;
  return true;
}

bool Iptables::applyFull(bool ipv6, const Ruleset& rules, Family& f) {
  const std::string tool = ipv6 ? "ip6tables" : "iptables";
  auto run = [&](const char* table, std::vector<std::string> args) {
    args.insert(args.begin(), {tool, "-w", "-t", table});
    return runProgram(args);
  };
  f = Family{};
  ProgramResult user;
  try {
    user = run("filter", {"-n", "-L", "DOCKER-USER"});
  } catch (const std::system_error& e) {
    // No iptables at all: no runtime's firewall either, nothing of netvrfd's to write.
    if (e.code() == std::errc::no_such_file_or_directory) {
      f.known = true;
      return false;
    }
    throw;
  }
  // A missing chain reads "No chain/target/match" (iptables-nft 1.8.9: "incompatible"); what
  // else fails is netvrfd's own trouble.
  if (user.status != 0 && cannotRun(user.output))
    throw std::runtime_error(tool + ": " + firstLine(user.output) + legacyHint(tool));
  // Without Docker's chain (no Docker, or one with --iptables=false: Podman's own rules, a
  // host's firewall) from FORWARD itself; one made there before dockerd started goes once
  // DOCKER-USER is there.
  bool docker = user.status == 0;
  const std::vector<Hook> hooks = {{"filter", docker ? "DOCKER-USER" : "FORWARD", kForwardChain},
                                   {"nat", "PREROUTING", kPreroutingChain},
                                   {"nat", "OUTPUT", kOutputChain}};
  auto unhook = [&](const char* table, const std::string& from, const char* chain) {
    while (run(table, {"-D", from, "-j", chain}).status == 0) {
    }
  };
  if (rules.empty()) {
    for (const auto& h : hooks) {
      // No chain, no jump to it: a jump keeps its chain from being deleted.
      if (run(h.table, {"-n", "-L", h.chain}).status != 0) continue;
      unhook(h.table, h.from, h.chain);
      if (docker && h.chain == std::string(kForwardChain)) unhook(h.table, "FORWARD", h.chain);
      run(h.table, {"-F", h.chain});
      run(h.table, {"-X", h.chain});
    }
  } else {
    ProgramResult restored =
        runProgram({tool + "-restore", "-w", "--noflush"}, restoreInput(rules));
    if (restored.status != 0)
      throw std::runtime_error(tool + "-restore: " + firstLine(restored.output) + legacyHint(tool));
    for (const auto& h : hooks) {
      if (docker && h.chain == std::string(kForwardChain)) unhook(h.table, "FORWARD", h.chain);
      if (run(h.table, {"-C", h.from, "-j", h.chain}).status == 0) continue;
      ProgramResult inserted = run(h.table, {"-I", h.from, "1", "-j", h.chain});
      if (inserted.status != 0)
        throw std::runtime_error(tool + " -t " + h.table + " -I " + h.from + ": " +
                                 firstLine(inserted.output));
    }
  }
  f = Family{true, true, rules};
  return true;
}

}  // namespace netvrf
