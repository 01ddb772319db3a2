#pragma once

#include <sys/types.h>

#include <chrono>
#include <map>
#include <optional>
#include <set>
#include <string>

#include "netns/pin.hpp"

// What the reliability scenarios look at: the containers that run, the entries in the netns
// directory, and netvrfd's own process.
namespace netvrf::test {

class Docker;

// Running containers whose name starts with `prefix`: name -> (id, namespace).
struct RunningContainer {
  std::string id;
  std::optional<NsIdentity> ns;
};
std::map<std::string, RunningContainer> runningContainers(Docker& docker, const std::string& prefix);

// Entries in /var/run/netns whose name starts with `prefix`: name -> namespace (nothing when
// the entry is not a mount).
std::map<std::string, std::optional<NsIdentity>> entriesWithPrefix(const std::string& prefix);

// Mount points under /run/netns whose name starts with `prefix` (per /proc/self/mountinfo).
int mountsWithPrefix(const std::string& prefix);

struct Consistency {
  int lost = 0;   // running, no entry (under its name or its fallback name)
  int stale = 0;  // an entry or ownership record with no running container
  int wrong = 0;  // an entry whose namespace is not its container's
  std::string detail;
  bool clean() const { return lost == 0 && stale == 0 && wrong == 0; }
};
// Compares the running containers with the entries (and netvrfd's ownership records under
// `stateDir`), ignoring the entries in `foreign`. Polls until consistent or `timeout`, and
// returns the last comparison.
Consistency settle(Docker& docker, const std::string& prefix, const std::string& stateDir,
                   const std::set<std::string>& foreign, std::chrono::seconds timeout);

// netvrfd's process.
int openFds(pid_t pid);
int namespaceFds(pid_t pid);  // descriptors that are network namespaces ("net:[...]")
long rssKb(pid_t pid);
bool alive(pid_t pid);

}  // namespace netvrf::test
