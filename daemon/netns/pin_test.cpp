#include "netns/pin.hpp"

#include <gtest/gtest.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <csignal>

namespace netvrf {
namespace {

// A child process that stays alive until killed. Its command name has ") " in it, the case
// that breaks a naive parse of /proc/PID/stat.
class Child {
 public:
  Child() {
    pid_ = fork();
    if (pid_ == 0) {
      prctl(PR_SET_NAME, "odd) name (x");
      pause();
      _exit(0);
    }
  }
  ~Child() {
    if (pid_ > 0) {
      kill(pid_, SIGKILL);
      waitpid(pid_, nullptr, 0);
    }
  }
  pid_t pid() const { return pid_; }
  // Kills and waits until it has exited, without reaping it (it stays a zombie).
  void killNoReap() {
    kill(pid_, SIGKILL);
    siginfo_t info{};
    waitid(P_PID, pid_, &info, WEXITED | WNOWAIT);
  }
  void reap() {
    waitpid(pid_, nullptr, 0);
    pid_ = -1;
  }

 private:
  pid_t pid_;
};

int errnoOf(const std::function<void()>& f) {
  try {
    f();
  } catch (const std::system_error& e) {
    return e.code().value();
  }
  return 0;
}

TEST(Pin, PinsTheNamespaceOfALiveProcess) {
  Child child;
  PinnedNetns p = pinNetns(child.pid(), std::nullopt);
  EXPECT_EQ(p.pid, child.pid());
  EXPECT_TRUE(p.pidfd);
  EXPECT_TRUE(p.netns);
  EXPECT_EQ(p.ns, *nsIdentityOfPath("/proc/" + std::to_string(child.pid()) + "/ns/net"));
  EXPECT_EQ(p.ns, nsIdentityOfFd(p.netns.get()));
  EXPECT_FALSE(processExited(p.pidfd.get()));
  // Started after this process, and read the same way twice.
  EXPECT_GE(p.startTime, processStartTime(getpid()));
  EXPECT_EQ(p.startTime, processStartTime(child.pid()));
}

TEST(Pin, RefusesAnUnexpectedNamespace) {
  Child child;
  auto real = *nsIdentityOfPath("/proc/self/ns/net");
  NsIdentity other{real.dev, real.ino + 1};
  EXPECT_EQ(errnoOf([&] { pinNetns(child.pid(), other); }), EXDEV);
  EXPECT_NO_THROW(pinNetns(child.pid(), real));
}

TEST(Pin, RefusesExitedProcesses) {
  Child child;
  PinnedNetns p = pinNetns(child.pid(), std::nullopt);
  child.killNoReap();
  EXPECT_TRUE(processExited(p.pidfd.get()));
  EXPECT_EQ(errnoOf([&] { pinNetns(child.pid(), std::nullopt); }), ESRCH);  // a zombie
  pid_t pid = child.pid();
  child.reap();
  EXPECT_EQ(errnoOf([&] { pinNetns(pid, std::nullopt); }), ESRCH);  // gone
}

TEST(Pin, RepinChecksStartTimeAndNamespace) {
  Child child;
  PinnedNetns p = pinNetns(child.pid(), std::nullopt);
  EXPECT_TRUE(repinNetns(child.pid(), p.startTime, p.ns));
  EXPECT_FALSE(repinNetns(child.pid(), p.startTime + 1, p.ns));  // another process, same PID
  EXPECT_FALSE(repinNetns(child.pid(), p.startTime, NsIdentity{p.ns.dev, p.ns.ino + 1}));
}

}  // namespace
}  // namespace netvrf
