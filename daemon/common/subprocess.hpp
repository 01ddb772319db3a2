#pragma once

#include <string>
#include <vector>

namespace netvrf {

struct ProgramResult {
  int status = -1;     // the exit status; 128 + N when killed by signal N
  std::string output;  // stdout and stderr, together
};

// Runs `argv` (argv[0] looked up in PATH) with `input` on its stdin and waits for it. Throws
// std::system_error when it cannot be started. For tools that have no library API netvrfd may
// use (iptables-restore); blocking: call it from a worker thread, never the loop.
ProgramResult runProgram(const std::vector<std::string>& argv, const std::string& input = "");

}  // namespace netvrf
