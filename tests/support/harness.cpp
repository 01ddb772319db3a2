#include "harness.hpp"

#include <gtest/gtest.h>

#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <spawn.h>
#include <sys/mount.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <stdexcept>
#include <thread>

#include "common/error.hpp"
#include "netlink/in_netns.hpp"
#include "netns/netns_dir.hpp"
#include "netns/ownership.hpp"

namespace netvrf::test {
namespace {

std::string env(const char* name, const char* fallback = "") {
  const char* v = std::getenv(name);
  return v ? v : fallback;
}

// Starts argv[0] with stdout and stderr on `outFd` and `extraEnv` added to ours. posix_spawn,
// not fork + exec: the tests are multithreaded, and a forked child that allocates before exec
// can deadlock on a lock another thread held (seen with ASan's allocator).
pid_t spawn(const std::vector<std::string>& argv, int outFd,
            const std::vector<std::string>& extraEnv = {}) {
  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  std::vector<char*> envp;
  for (char** e = environ; *e; ++e) {
    std::string_view var(*e);
    bool overridden = std::any_of(extraEnv.begin(), extraEnv.end(), [&](const std::string& x) {
      return var.substr(0, var.find('=') + 1) == x.substr(0, x.find('=') + 1);
    });
    if (!overridden) envp.push_back(*e);
  }
  for (const auto& e : extraEnv) envp.push_back(const_cast<char*>(e.c_str()));
  envp.push_back(nullptr);
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_adddup2(&fa, outFd, STDOUT_FILENO);
  posix_spawn_file_actions_adddup2(&fa, outFd, STDERR_FILENO);
  pid_t pid = -1;
  int err = posix_spawnp(&pid, args[0], &fa, nullptr, args.data(), envp.data());
  posix_spawn_file_actions_destroy(&fa);
  if (err != 0) throw std::system_error(err, std::generic_category(), "spawn " + argv[0]);
  return pid;
}

int decode(int status) {
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return -1;
}

}  // namespace

std::string dockerSock() {
  return env("NETVRF_TEST_DOCKER_SOCK");
}

std::string containerdSock() {
  return env("NETVRF_TEST_CONTAINERD_SOCK");
}

std::string podmanSock() {
  return env("NETVRF_TEST_PODMAN_SOCK");
}

std::string testImage() {
  return env("NETVRF_TEST_IMAGE", "netvrf-test/busybox:v2");
}

std::optional<std::string> missingVrfFreeKernel() {
  if (kernelHasVrf()) return "this kernel has VRF support; the error path needs one without";
  return std::nullopt;
}

std::optional<std::string> missingTestServices() {
  if (env("NETVRF_TEST_SERVICES").empty())
    return "needs scripts/test-services (run through scripts/test)";
  return std::nullopt;
}

std::string plainNetvrfd() {
  return env("NETVRF_TEST_PLAIN_NETVRFD");
}

std::optional<std::string> missingPlainNetvrfd() {
  if (plainNetvrfd().empty() || access(plainNetvrfd().c_str(), X_OK) != 0)
    return "needs a netvrfd built without sanitizers in NETVRF_TEST_PLAIN_NETVRFD (scripts/test "
           "builds one)";
  return std::nullopt;
}

bool strict() {
  return env("NETVRF_TEST_STRICT") == "1";
}

namespace {

// Starts argv with stdout and stderr into a pipe; `readEnd` gets the pipe's other end.
pid_t spawnPiped(const std::vector<std::string>& argv, int& readEnd) {
  int pipefd[2];
  if (pipe2(pipefd, O_CLOEXEC) < 0) throw std::runtime_error("pipe");
  pid_t pid;
  try {
    pid = spawn(argv, pipefd[1]);
  } catch (...) {
    close(pipefd[0]);
    close(pipefd[1]);
    throw;
  }
  close(pipefd[1]);
  readEnd = pipefd[0];
  return pid;
}

// NETVRF_TEST_TRACE set: each command the tests run, with the time it took, on stderr.
void trace(const std::vector<std::string>& argv, std::chrono::steady_clock::time_point started) {
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() -
                                                                  started);
  std::string line;
  for (const auto& a : argv) line += (line.empty() ? "" : " ") + a;
  std::fprintf(stderr, "[run %lld ms] %s\n", static_cast<long long>(ms.count()), line.c_str());
}

}  // namespace

Result run(const std::vector<std::string>& argv) {
  auto started = std::chrono::steady_clock::now();
  int out = -1;
  pid_t pid = spawnPiped(argv, out);
  Result r;
  char buf[4096];
  for (ssize_t n; (n = read(out, buf, sizeof buf)) > 0;) r.out.append(buf, size_t(n));
  close(out);
  int status = 0;
  rusage ru{};
  wait4(pid, &status, 0, &ru);
  r.status = decode(status);
  auto ns = [](const timeval& t) { return int64_t(t.tv_sec) * 1000000000 + t.tv_usec * 1000; };
  r.cpuNano = ns(ru.ru_utime) + ns(ru.ru_stime);
  if (std::getenv("NETVRF_TEST_TRACE")) trace(argv, started);
  return r;
}

Background::Background(const std::vector<std::string>& argv) {
  pid_ = spawnPiped(argv, fd_);
  reader_ = std::thread([this] {
    char buf[4096];
    for (ssize_t n; (n = read(fd_, buf, sizeof buf)) > 0;) {
      std::lock_guard lock(mutex_);
      out_.append(buf, size_t(n));
      cv_.notify_all();
    }
    std::lock_guard lock(mutex_);
    eof_ = true;
    cv_.notify_all();
  });
}

Background::~Background() {
  if (pid_ > 0) {
    kill(pid_, SIGTERM);
    finish();
  }
}

bool Background::waitFor(const std::string& text, std::chrono::milliseconds timeout) {
  std::unique_lock lock(mutex_);
  return cv_.wait_for(lock, timeout, [&] { return out_.find(text) != std::string::npos || eof_; }) &&
         out_.find(text) != std::string::npos;
}

std::string Background::output() {
  std::lock_guard lock(mutex_);
  return out_;
}

Result Background::finish() {
  if (pid_ > 0) {
    int status = 0;
    waitpid(pid_, &status, 0);
    status_ = decode(status);
    pid_ = -1;
    reader_.join();
    close(fd_);
  }
  return {status_, output(), 0};
}

bool waitUntil(const std::function<bool()>& pred, std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!pred()) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return true;
}

std::optional<std::string> missingRoot() {
  if (geteuid() != 0) return "needs root (mounts namespaces); run it through sudo scripts/test";
  return std::nullopt;
}

std::optional<std::string> missingVrf() {
  if (auto r = missingRoot()) return r;
  if (!kernelHasVrf())
    return "this kernel has no VRF support; scripts/test runs these in the VM (tests/vm)";
  return std::nullopt;
}

Fd newNetns() {
  Fd fd;
  std::thread([&] {
    if (unshare(CLONE_NEWNET) == 0)
      fd.reset(open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC));
  }).join();
  if (!fd) throwErrno("create a network namespace");
  return fd;
}

bool kernelHasVrf() {
  static const bool has = [] {
    Fd ns = newNetns();
    return runInNetns(ns.get(), [] {
      return run({"ip", "link", "add", "probe", "type", "vrf", "table", "77"}).status == 0;
    });
  }();
  return has;
}

NetnsProcess::NetnsProcess() {
  Fd devnull(open("/dev/null", O_WRONLY | O_CLOEXEC));
  pid_ = spawn({"unshare", "--net", "sleep", "3600"}, devnull.get());
  auto own = nsIdentityOfPath("/proc/self/ns/net");
  std::string path = "/proc/" + std::to_string(pid_) + "/ns/net";
  if (!waitUntil([&] {
        auto ns = nsIdentityOfPath(path);
        return ns && *ns != *own;
      })) {
    kill();
    throw std::runtime_error("unshare --net did not get a namespace of its own");
  }
}

NetnsProcess::~NetnsProcess() {
  kill();
}

void NetnsProcess::kill() {
  if (pid_ <= 0) return;
  ::kill(pid_, SIGKILL);
  waitpid(pid_, nullptr, 0);
  pid_ = -1;
}

TempDir::TempDir() {
  char tmpl[] = "/tmp/netvrf-test-XXXXXX";
  if (!mkdtemp(tmpl)) throw std::runtime_error("mkdtemp");
  path_ = tmpl;
}

TempDir::~TempDir() {
  std::error_code ec;
  std::filesystem::remove_all(path_, ec);
}

SystemBus::SystemBus() {
  chmod(dir_.path().c_str(), 0755);  // callers that are not root reach the socket too
  socket_ = dir_.path() + "/system_bus_socket";
  start();
}

void SystemBus::start() {
  if (pid_ > 0) return;
  std::filesystem::remove(socket_);
  Fd log(
      open((dir_.path() + "/dbus.log").c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644));
  // NETVRF_TEST_BUS_CONFIG: a copy (with org.netvrf1.conf beside it), for the VM.
  const char* copy = std::getenv("NETVRF_TEST_BUS_CONFIG");
  std::string config = copy && *copy ? copy : NETVRF_SOURCE_DIR "/dbus/system-bus.conf";
  pid_ = spawn({"dbus-daemon", "--config-file=" + config, "--address=unix:path=" + socket_,
                "--nofork", "--nopidfile"},
               log.get());
  if (!waitUntil([&] { return std::filesystem::exists(socket_); }, std::chrono::seconds(10))) {
    std::ifstream in(dir_.path() + "/dbus.log");
    std::string why((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    throw std::runtime_error("dbus-daemon did not start with " + config + ": " + why);
  }
}

SystemBus::~SystemBus() {
  stop();
}

void SystemBus::stop() {
  if (pid_ <= 0) return;
  kill(pid_, SIGTERM);
  int status;
  waitpid(pid_, &status, 0);
  pid_ = -1;
}

const char* netvrfctlPath() {
  // NETVRF_TEST_NETVRFCTL: a copy of the binary, for the VM (tests/vm/vm-test --bin).
  const char* copy = std::getenv("NETVRF_TEST_NETVRFCTL");
  return copy && *copy ? copy : NETVRFCTL_PATH;
}

Result netvrfctl(const SystemBus& bus, std::vector<std::string> args) {
  args.insert(args.begin(), {"env", bus.env(), netvrfctlPath()});
  return run(args);
}

Netvrfd::Netvrfd(const std::string& extraConfig, const std::vector<std::string>& extraEnv)
    : env_(extraEnv) {
  // Never the machine's own system bus: a test names its private one (SystemBus::env()).
  if (std::none_of(env_.begin(), env_.end(),
                   [](const std::string& e) { return e.starts_with("DBUS_SYSTEM_BUS_ADDRESS="); }))
    env_.push_back("DBUS_SYSTEM_BUS_ADDRESS=unix:path=/nonexistent/netvrf-test-bus");
  stateDir_ = dir_.path() + "/state";
  configPath_ = dir_.path() + "/netvrfd.json";
  logPath_ = dir_.path() + "/netvrfd.log";
  notifyPath_ = dir_.path() + "/notify.sock";
  // cleanup_on_exit: a test's daemon leaves nothing behind in the host's /var/run/netns.
  nlohmann::json config = {
      {"state_dir", stateDir_},
      {"cleanup_on_exit", true},
      {"vrf",
       {{"table_file", dir_.path() + "/tables.json"},
        {"rt_tables_file", dir_.path() + "/rt_tables.conf"},
        {"requests_file", dir_.path() + "/requests.json"}}},
      {"docker",
       {{"socket", dockerSock().empty() ? "/nonexistent.sock" : dockerSock()},
        {"endpoints",
         {{{"name", "podman"},
           {"socket", podmanSock().empty() ? "/nonexistent-podman.sock" : podmanSock()}}}}}},
      {"containerd",
       {{"socket", containerdSock().empty() ? "/nonexistent.sock" : containerdSock()}}}};
  if (!extraConfig.empty()) config.merge_patch(nlohmann::json::parse(extraConfig));
  cleanupOnExit_ = config.value("cleanup_on_exit", false);
  netnsDir_ = config.value("netns_dir", netnsDir_);
  std::ofstream(configPath_) << config.dump(2);

  notify_.reset(socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0));
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::snprintf(addr.sun_path, sizeof addr.sun_path, "%s", notifyPath_.c_str());
  if (bind(notify_.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) < 0)
    throw std::runtime_error("bind " + notifyPath_);
  reader_ = std::thread([this] { readNotifications(); });
}

void Netvrfd::readNotifications() {
  char buf[4096];
  while (!stopReader_) {
    pollfd p{notify_.get(), POLLIN, 0};
    if (poll(&p, 1, 50) <= 0) continue;
    ssize_t n = recv(notify_.get(), buf, sizeof buf, 0);
    if (n <= 0) continue;
    {
      std::lock_guard lock(mutex_);
      messages_.emplace_back(buf, size_t(n));
    }
    cv_.notify_all();
  }
}

Netvrfd::~Netvrfd() {
  if (pid_ > 0) stop();
  stopReader_ = true;
  reader_.join();
}

std::vector<std::string> Netvrfd::recordedEntries() const {
  std::vector<std::string> out;
  for (const auto& r : OwnershipStore(stateDir_).loadAll()) out.push_back(r.entry);
  return out;
}

void Netvrfd::reaped(int status) {
  pid_ = -1;
  exitStatus_ = decode(status);
  std::string output = log();
  output.erase(0, std::min(logStart_, output.size()));  // this process's part
  for (const char* report : {"ERROR: AddressSanitizer", "ERROR: LeakSanitizer", "runtime error:",
                             "SUMMARY: UndefinedBehaviorSanitizer", "SUMMARY: AddressSanitizer"})
    if (output.find(report) != std::string::npos)
      ADD_FAILURE() << "netvrfd's output has a sanitizer report (" << report << "):\n" << output;
  int sig = std::exchange(lastSignal_, 0);
  if (sig != SIGTERM && sig != SIGINT) return;  // killed on purpose, or ended by itself
  if (exitStatus_ != 0)
    ADD_FAILURE() << "netvrfd exited with status " << exitStatus_ << " after "
                  << (sig == SIGTERM ? "SIGTERM" : "SIGINT") << "; its output:\n" << output;
  if (!cleanupOnExit_ || exitStatus_ != 0) return;
  for (const auto& entry : recordedEntries())
    ADD_FAILURE() << "netvrfd stopped with cleanup_on_exit but left its record of " << entry;
  NetnsDir dir(netnsDir_);
  for (const auto& entry : entriesAtStop_) {
    if (dir.probe(entry).exists)
      ADD_FAILURE() << "netvrfd stopped with cleanup_on_exit but left " << dir.pathOf(entry);
    if (isMounted(dir.pathOf(entry)))
      ADD_FAILURE() << "netvrfd stopped with cleanup_on_exit but left a mount on "
                    << dir.pathOf(entry);
  }
  entriesAtStop_.clear();
}

void Netvrfd::start() {
  logStart_ = log().size();
  lastSignal_ = 0;
  Fd log(open(logPath_.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644));
  std::vector<std::string> e = env_;
  e.push_back("NOTIFY_SOCKET=" + notifyPath_);
  std::vector<std::string> argv = wrapper_;
  // NETVRF_TEST_NETVRFD: a copy of the binary, for the VM (tests/vm/vm-test --with-docker).
  const char* daemon = std::getenv("NETVRF_TEST_NETVRFD");
  std::string binary = !binary_.empty() ? binary_ : daemon && *daemon ? daemon : NETVRFD_PATH;
  argv.insert(argv.end(), {binary, "--config", configPath_,
                           "--log-target", "stderr"});
  pid_ = spawn(argv, log.get(), e);
}

std::optional<std::string> Netvrfd::waitNotify(const std::string& prefix,
                                               std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  std::unique_lock lock(mutex_);
  for (;;) {
    for (; seen_ < messages_.size(); ++seen_) {
      std::istringstream lines(messages_[seen_]);
      for (std::string line; std::getline(lines, line);)
        if (line.starts_with(prefix)) return messages_[seen_++];
    }
    if (std::chrono::steady_clock::now() > deadline) return std::nullopt;
    int status;
    if (pid_ > 0 && waitpid(pid_, &status, WNOHANG) == pid_) {  // it died: no more messages
      lock.unlock();
      reaped(status);
      return std::nullopt;
    }
    cv_.wait_for(lock, std::chrono::milliseconds(50));
  }
}

bool Netvrfd::waitReady(std::chrono::milliseconds timeout) {
  return waitNotify("READY=1", timeout).has_value();
}

void Netvrfd::signal(int sig) {
  if (pid_ <= 0) return;
  if (sig == SIGTERM || sig == SIGINT) {
    auto entries = recordedEntries();
    entriesAtStop_.insert(entriesAtStop_.end(), entries.begin(), entries.end());
  }
  if (sig != 0 && sig != SIGHUP) lastSignal_ = sig;
  kill(pid_, sig);
}

int Netvrfd::wait() {
  if (pid_ <= 0) return exitStatus_;
  int status = 0;
  waitpid(pid_, &status, 0);
  reaped(status);
  return exitStatus_;
}

std::string Netvrfd::log() const {
  std::ifstream in(logPath_);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::string netnsPath(const std::string& name) {
  return "/var/run/netns/" + name;
}

std::optional<NsIdentity> entryNs(const std::string& name) {
  return NetnsDir("/var/run/netns").probe(name).ns;
}

bool entryExists(const std::string& name) {
  return NetnsDir("/var/run/netns").probe(name).exists;
}

bool isMounted(const std::string& path) {
  // /var/run is a link to /run: mountinfo shows the resolved path.
  std::error_code ec;
  auto dir = std::filesystem::canonical(std::filesystem::path(path).parent_path(), ec);
  std::string resolved = (ec ? std::filesystem::path(path).parent_path() : dir).string() + "/" +
                         std::filesystem::path(path).filename().string();
  std::ifstream in("/proc/self/mountinfo");
  for (std::string line; std::getline(in, line);) {
    std::istringstream f(line);
    std::string id, parent, devno, root, mountPoint;
    f >> id >> parent >> devno >> root >> mountPoint;
    if (mountPoint == resolved) return true;
  }
  return false;
}

bool ipNetnsLists(const std::string& name) {
  Result r = run({"ip", "netns", "list"});
  std::istringstream lines(r.out);
  for (std::string line; std::getline(lines, line);)
    if (line == name || line.starts_with(name + " ")) return true;
  return false;
}

}  // namespace netvrf::test
