#include "firewall/iptables.hpp"

#include <stdexcept>
#include <system_error>

#include "common/subprocess.hpp"
#include "firewall/forward_rules.hpp"

namespace netvrf {

namespace {

std::string firstLine(const std::string& s) {
  std::string line = s.substr(0, s.find('\n'));
  return line.empty() ? "failed" : line;
}

}  // namespace

bool applyForward(bool ipv6, const std::vector<std::string>& rules) {
  const std::string tool = ipv6 ? "ip6tables" : "iptables";
  auto run = [&](std::vector<std::string> args) {
    args.insert(args.begin(), {tool, "-w"});
    return runProgram(args);
  };
  const std::string chain = kForwardChain;
  auto remove = [&] {
    while (run({"-D", "DOCKER-USER", "-j", chain}).status == 0) {
    }
    if (run({"-n", "-L", chain}).status == 0) {
      run({"-F", chain});
      run({"-X", chain});
    }
  };
  bool docker = false;
  try {
    docker = run({"-n", "-L", "DOCKER-USER"}).status == 0;
  } catch (const std::system_error& e) {
    // No iptables at all: no Docker firewall either (dockerd needs it for one).
    if (e.code() == std::errc::no_such_file_or_directory) return false;
    throw;
  }
  if (rules.empty() || !docker) {
    if (docker) remove();
    return docker;
  }
  ProgramResult restored = runProgram({tool + "-restore", "-w", "--noflush"}, restoreInput(rules));
  if (restored.status != 0)
    throw std::runtime_error(tool + "-restore: " + firstLine(restored.output));
  if (run({"-C", "DOCKER-USER", "-j", chain}).status != 0) {
    ProgramResult inserted = run({"-I", "DOCKER-USER", "1", "-j", chain});
    if (inserted.status != 0)
      throw std::runtime_error(tool + " -I DOCKER-USER: " + firstLine(inserted.output));
  }
  return true;
}

}  // namespace netvrf
