#pragma once

#include <sys/types.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <csignal>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "common/fd.hpp"
#include "netns/pin.hpp"

// Helpers for the integration tests: real processes, a real dockerd, a real netvrfd.
namespace netvrf::test {

struct Result {
  int status = -1;      // exit code, or 128 + signal
  std::string out;      // stdout and stderr together
  int64_t cpuNano = 0;  // the child's own user + system time
};
Result run(const std::vector<std::string>& argv);

// A command running in the background (a monitor), its output read as it comes: a test waits
// for the line that says it is ready instead of sleeping. The destructor ends it (SIGTERM).
class Background {
 public:
  explicit Background(const std::vector<std::string>& argv);
  ~Background();
  Background(const Background&) = delete;
  Background& operator=(const Background&) = delete;
  // Waits until its output holds `text`; false on timeout or when it exits first.
  bool waitFor(const std::string& text,
               std::chrono::milliseconds timeout = std::chrono::seconds(10));
  // Waits for it to exit (it must end by itself, e.g. its bus went away) and returns it all.
  Result finish();
  std::string output();

 private:
  pid_t pid_ = -1;
  int fd_ = -1;
  std::thread reader_;
  std::mutex mutex_;
  std::condition_variable cv_;
  std::string out_;
  bool eof_ = false;
  int status_ = -1;
};

// Polls `pred` every 10 ms until it holds or `timeout` passes.
bool waitUntil(const std::function<bool()>& pred,
               std::chrono::milliseconds timeout = std::chrono::seconds(10));

// The reason a test cannot run here, or nothing. Under scripts/test (NETVRF_TEST_STRICT=1)
// a missing prerequisite is a failure, not a skip: CI must run everything.
std::optional<std::string> missingRoot();
std::optional<std::string> missingDocker();
// The test services' sockets and image (scripts/test-services); empty when not started.
std::string dockerSock();
std::string containerdSock();
std::string testImage();
std::string podmanSock();
std::optional<std::string> missingContainerd();
std::optional<std::string> missingPodman();
// Needs a kernel with VRF support: scripts/test runs such tests in the VM (tests/vm).
std::optional<std::string> missingVrf();
// The opposite, for the error paths of a kernel without VRF support (this host's).
std::optional<std::string> missingVrfFreeKernel();
// Needs the test services scripts/test starts (NETVRF_TEST_SERVICES).
std::optional<std::string> missingTestServices();
// A netvrfd built without sanitizers (scripts/test builds one), for memory figures: ASan keeps
// freed memory in quarantine, so the sanitized build's RSS says nothing about leaks.
std::optional<std::string> missingPlainNetvrfd();
std::string plainNetvrfd();

// A fresh, empty network namespace, gone with the fd.
Fd newNetns();
// Probed once per process (a namespace and an `ip` call: slow in the VM).
bool kernelHasVrf();
bool strict();

#define NETVRF_REQUIRE(reason)                             \
  do {                                                     \
    if (auto why_ = (reason)) {                            \
      if (::netvrf::test::strict()) GTEST_FAIL() << *why_; \
      GTEST_SKIP() << *why_;                               \
    }                                                      \
  } while (0)

// A scratch directory, removed (with anything mounted in it) at the end.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

// The test dockerd through the docker CLI, or (Docker::podman()) the test Podman service
// through `podman --remote`, which takes the same commands.
class Docker {
 public:
  Docker();
  static Docker podman();
  Docker(Docker&&) = default;
  ~Docker();  // removes every container and network this object made
  // `docker run -d --name NAME ARGS... IMAGE [CMD...]`; returns the id.
  std::string runDetached(const std::string& name, const std::vector<std::string>& args = {},
                          const std::vector<std::string>& cmd = {});
  void remove(const std::string& name);
  // `docker network create ARGS... NAME`; returns its bridge's name (br-ID12; Podman's:
  // cni-podmanN).
  std::string createNetwork(const std::string& name, const std::vector<std::string>& args);
  std::string inspectNetwork(const std::string& name, const std::string& format);
  Result cli(std::vector<std::string> args);
  std::string inspect(const std::string& name, const std::string& format);
  pid_t pid(const std::string& name);
  // The identity of the container's namespace (through its SandboxKey or its process).
  std::optional<NsIdentity> ns(const std::string& name);
  // A name unique to this test run.
  std::string uniqueName(const std::string& stem);

 private:
  Docker(std::vector<std::string> cli, std::string image);
  std::vector<std::string> removeArgs(const std::string& name) const;
  std::vector<std::string> cli_;
  std::string image_;
  std::vector<std::string> started_;
  std::vector<std::string> networks_;
};

// The test containerd, through ctr, in containerd namespace "netvrf-test" with the test image
// imported (once: it stays for the next run); removes the containers it started.
class Ctr {
 public:
  Ctr();
  ~Ctr();
  const std::string& ns() const { return ns_; }
  // `ctr run -d --snapshotter native ARGS... IMAGE ID sleep 3600`.
  void runDetached(const std::string& id, const std::vector<std::string>& args = {});
  pid_t pid(const std::string& id);  // of its running task; 0 when none
  Result cli(std::vector<std::string> args);

 private:
  std::string ns_;
  std::vector<std::string> started_;
};

// A plain process (`unshare -n sleep`) in a network namespace of its own, as a stand-in for
// anything that is not a container; killed on destruction.
class NetnsProcess {
 public:
  NetnsProcess();
  ~NetnsProcess();
  NetnsProcess(const NetnsProcess&) = delete;
  NetnsProcess& operator=(const NetnsProcess&) = delete;
  pid_t pid() const { return pid_; }
  void kill();  // and reap it

 private:
  pid_t pid_ = -1;
};

// A private system bus: dbus-daemon with the project's own bus configuration and policy
// (dbus/system-bus.conf, dbus/org.netvrf1.conf) on a socket of its own.
class SystemBus {
 public:
  SystemBus();
  ~SystemBus();
  void stop();
  void start();  // again, at the same address, after stop()
  // "DBUS_SYSTEM_BUS_ADDRESS=unix:path=...", for netvrfd, netvrfctl and busctl.
  std::string env() const { return "DBUS_SYSTEM_BUS_ADDRESS=unix:path=" + socket_; }

 private:
  TempDir dir_;
  std::string socket_;
  pid_t pid_ = -1;
};

// netvrfctl ARGS..., talking to `bus`.
Result netvrfctl(const SystemBus& bus, std::vector<std::string> args);
const char* netvrfctlPath();

// A netvrfd process with a configuration and state directory of its own. It listens for
// sd_notify messages on a socket of its own, as systemd would.
class Netvrfd {
 public:
  // `configJson` is merged into a default that points netvrfd at the test dockerd and at a
  // private state directory; it still registers in the real /var/run/netns, where ip netns looks.
  explicit Netvrfd(const std::string& extraConfig = "", const std::vector<std::string>& env = {});
  ~Netvrfd();

  // Runs netvrfd through `wrapper` (e.g. setpriv with a capability set); before start().
  void setWrapper(std::vector<std::string> wrapper) { wrapper_ = std::move(wrapper); }
  // Runs this netvrfd binary instead of the build tree's (e.g. plainNetvrfd()); before start().
  void setBinary(std::string path) { binary_ = std::move(path); }
  void start();
  bool startReady() {
    start();
    return waitReady();
  }
  // Waits for READY=1; false on timeout or exit.
  bool waitReady(std::chrono::milliseconds timeout = std::chrono::seconds(20));
  // Waits for a notify message starting with `prefix`; returns it.
  std::optional<std::string> waitNotify(const std::string& prefix,
                                        std::chrono::milliseconds timeout);
  void signal(int sig);
  // Exit status, as in Result. Every end is judged (a non-fatal test failure otherwise): a
  // sanitizer report in its output fails the test whatever the signal; after SIGTERM or SIGINT
  // the status must be 0 and, with cleanup_on_exit, no entry, mount or record of it may be left.
  int wait();
  int stop() {  // SIGTERM, then wait()
    signal(SIGTERM);
    return wait();
  }
  pid_t pid() const { return pid_; }
  std::string log() const;
  const std::string& stateDir() const { return stateDir_; }
  const std::string& dir() const { return dir_.path(); }  // its config, log, tables files

 private:
  TempDir dir_;
  std::string configPath_;
  std::string stateDir_;
  std::string logPath_;
  std::string notifyPath_;
  std::vector<std::string> env_;
  std::vector<std::string> wrapper_;
  std::string binary_;
  void readNotifications();
  void reaped(int status);  // judges the end, as wait() says
  std::vector<std::string> recordedEntries() const;  // from its ownership records

  bool cleanupOnExit_ = true;
  std::string netnsDir_ = "/var/run/netns";
  int lastSignal_ = 0;                     // the last one signal() sent to this process
  std::vector<std::string> entriesAtStop_;  // its records' entries when SIGTERM/SIGINT was sent
  size_t logStart_ = 0;                     // where this process's output starts in the log

  Fd notify_;
  // Drained all the time, as systemd does: a full socket would block netvrfd's sd_notify.
  std::thread reader_;
  std::atomic<bool> stopReader_{false};
  std::mutex mutex_;
  std::condition_variable cv_;
  std::vector<std::string> messages_;
  size_t seen_ = 0;  // messages already returned by waitNotify
  pid_t pid_ = -1;
  int exitStatus_ = -1;  // once reaped
};

std::string netnsPath(const std::string& name);
std::optional<NsIdentity> entryNs(const std::string& name);  // mounted namespace, if any
bool entryExists(const std::string& name);
bool isMounted(const std::string& path);  // per /proc/self/mountinfo
bool ipNetnsLists(const std::string& name);

}  // namespace netvrf::test
