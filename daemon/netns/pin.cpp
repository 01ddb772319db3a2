#include "netns/pin.hpp"

#include <fcntl.h>
#include <poll.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <csignal>
#include <fstream>
#include <sstream>

#include "common/error.hpp"

// glibc 2.36 declares these without extern "C".
extern "C" {
#include <sys/pidfd.h>
}

namespace netvrf {

std::string NsIdentity::str() const {
  return "net:[" + std::to_string(ino) + "]";
}

NsIdentity nsIdentityOfFd(int fd) {
  struct stat st {};
  if (fstat(fd, &st) < 0) throwErrno("fstat namespace");
  return {st.st_dev, st.st_ino};
}

std::optional<NsIdentity> nsIdentityOfPath(const std::string& path) {
  struct stat st {};
  if (stat(path.c_str(), &st) < 0) {
    if (errno == ENOENT) return std::nullopt;
    throwErrno("stat " + path);
  }
  return NsIdentity{st.st_dev, st.st_ino};
}

bool processExited(int pidfd) {
  pollfd p{pidfd, POLLIN, 0};
  return poll(&p, 1, 0) > 0;
}

uint64_t processStatField(pid_t pid, int n) {
  std::string path = "/proc/" + std::to_string(pid) + "/stat";
  std::ifstream in(path);
  std::string line;
  if (!in || !std::getline(in, line)) throwErrno(ESRCH, "read " + path);
  // The command name (field 2) is in parentheses and may itself contain spaces or ')'.
  auto close = line.rfind(')');
  if (close == std::string::npos || n < 3) throwErrno(EPROTO, "parse " + path);
  std::istringstream fields(line.substr(close + 2));
  std::string field;
  for (int i = 3; i <= n && fields >> field; ++i) {
    if (i == n) return std::stoull(field);
  }
  throwErrno(EPROTO, "parse " + path);
}

uint64_t processStartTime(pid_t pid) {
  return processStatField(pid, 22);
}

PinnedNetns pinNetns(pid_t pid, const std::optional<NsIdentity>& expected) {
  const std::string who = "process " + std::to_string(pid);
  PinnedNetns p;
  p.pid = pid;
  p.pidfd.reset(pidfd_open(pid, 0));
  if (!p.pidfd) throwErrno(who + ": pidfd_open");
  p.startTime = processStartTime(pid);
  std::string nsPath = "/proc/" + std::to_string(pid) + "/ns/net";
  p.netns.reset(open(nsPath.c_str(), O_RDONLY | O_CLOEXEC));
  if (!p.netns) throwErrno(errno == ENOENT ? ESRCH : errno, who + ": open " + nsPath);
  // The pidfd names the process that had `pid` when it was opened. If that process is still
  // alive now, /proc/PID above was the same process, not a successor that reused the PID.
  // ESRCH only: EPERM (a process of another user, without CAP_KILL) still means it lives.
  bool gone = pidfd_send_signal(p.pidfd.get(), 0, nullptr, 0) < 0 && errno == ESRCH;
  if (gone || processExited(p.pidfd.get()))
    throwErrno(ESRCH, who + " exited while its namespace was being opened");
  p.ns = nsIdentityOfFd(p.netns.get());
  if (expected && p.ns != *expected)
    throwErrno(EXDEV, who + " is in " + p.ns.str() + ", not the container's " + expected->str());
  return p;
}

std::optional<PinnedNetns> repinNetns(pid_t pid, uint64_t startTime, const NsIdentity& ns) {
  try {
    PinnedNetns p = pinNetns(pid, ns);
    if (p.startTime != startTime) return std::nullopt;
    return p;
  } catch (const std::system_error&) {
    return std::nullopt;
  }
}

}  // namespace netvrf
