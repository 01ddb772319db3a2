#pragma once

#include <sys/types.h>

#include <cstdint>
#include <optional>
#include <string>

#include "common/fd.hpp"

namespace netvrf {

// A namespace is identified by the (device, inode) pair that stat() reports for any of its
// handles: /proc/PID/ns/net, a bind mount of it, or Docker's SandboxKey.
struct NsIdentity {
  dev_t dev = 0;
  ino_t ino = 0;
  bool operator==(const NsIdentity&) const = default;
  std::string str() const;  // "net:[4026532281]", as /proc shows it
};

NsIdentity nsIdentityOfFd(int fd);                                    // throws system_error
std::optional<NsIdentity> nsIdentityOfPath(const std::string& path);  // nothing if absent

// A process and its network namespace, held open. The pidfd tells when the process exits
// (it polls readable); the namespace fd is what gets bind-mounted.
struct PinnedNetns {
  pid_t pid = 0;
  uint64_t startTime = 0;  // field 22 of /proc/PID/stat, in clock ticks since boot
  Fd pidfd;
  Fd netns;
  NsIdentity ns;
};

// Pins `pid`'s network namespace, proving that the namespace opened belongs to the process the
// pidfd refers to (a PID reused in between is detected), and, when `expected` is given, that it
// is that namespace (e.g. the container's SandboxKey). Throws std::system_error: ESRCH when the
// process is gone or was replaced, EXDEV when the namespace is not the expected one.
PinnedNetns pinNetns(pid_t pid, const std::optional<NsIdentity>& expected);

// Re-pins a process recorded earlier: succeeds only if `pid` still is the process that started
// at `startTime` and still lives in `ns`.
std::optional<PinnedNetns> repinNetns(pid_t pid, uint64_t startTime, const NsIdentity& ns);

bool processExited(int pidfd);
uint64_t processStartTime(pid_t pid);  // throws system_error (ESRCH) when there is no such PID
// Numeric field `n` (as numbered in proc(5), 3 or more) of /proc/PID/stat.
uint64_t processStatField(pid_t pid, int n);

}  // namespace netvrf
