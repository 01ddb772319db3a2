#pragma once

#include <sys/types.h>

#include <map>
#include <string>

namespace netvrf::test {

// Context switches (voluntary and not) of each thread of `pid` so far, keyed "name (tid)", for
// the threads whose name starts with `prefix` (all for ""). A thread that sleeps until something
// happens adds none while nothing does.
std::map<std::string, long> threadSwitches(pid_t pid, const std::string& prefix = "");

// "name (tid)" -> "name".
std::string threadName(const std::string& key);

}  // namespace netvrf::test
