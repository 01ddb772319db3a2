// bench/api: how long `netvrfctl --json list` takes with no and with N registered namespaces,
// and netvrfd's memory at both. Targets (issue 16, re-basing issue 5's): at 1,000, the list takes
// no longer than `ip netns list` in the same interleaved run (p50 and p99), and netvrfd's
// anonymous (private) memory is under 12 MB; resident memory is reported beside it. Side by side:
// the same list straight off the bus (busctl, no netvrfctl), and `ip netns list`, what an operator
// would otherwise run; and, to tell the parts apart, the D-Bus call alone on an open connection and
// a netvrfctl that starts and exits without touching the bus.
//
// Each round is timed from outside, as a shell sees it: spawn, the whole output read, exit. The
// methods take turns within a round, so a slow moment of the machine hits all of them alike.
// The namespaces are plain processes (`unshare --net sleep`), registered with `netvrfctl netns
// add`; no Docker. Needs root (run it through `scripts/bench api`).
#include <sys/resource.h>
#include <unistd.h>

#include <sdbus-c++/sdbus-c++.h>
#include <algorithm>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "percentiles.hpp"
#include "harness.hpp"

namespace {

using Clock = std::chrono::steady_clock;
using netvrf::test::NetnsProcess;
using netvrf::test::Netvrfd;
using netvrf::test::SystemBus;

constexpr double kTargetAnonMb = 12;
// netvrfd and this program come from the same build tree, with the same flags.
#if defined(__SANITIZE_ADDRESS__)
constexpr const char* kBuild = "AddressSanitizer";
#elif defined(NDEBUG)
constexpr const char* kBuild = "optimized (NDEBUG)";
#else
constexpr const char* kBuild = "debug";
#endif

double msSince(Clock::time_point t0) {
  return std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
}

// A line of /proc/PID/status or smaps_rollup in MB ("VmRSS:     9876 kB").
double statusMb(pid_t pid, const std::string& key, const char* file = "status") {
  std::ifstream in("/proc/" + std::to_string(pid) + "/" + file);
  for (std::string line; std::getline(in, line);)
    if (line.starts_with(key + ":")) return std::stod(line.substr(key.size() + 1)) / 1024;
  return 0;
}

// CPU time (user + system) of a running process, all threads.
double cpuMs(pid_t pid) {
  auto ticks = netvrf::processStatField(pid, 14) + netvrf::processStatField(pid, 15);
  return double(ticks) * 1000 / double(sysconf(_SC_CLK_TCK));
}

size_t openFds(pid_t pid) {
  std::error_code ec;
  auto it = std::filesystem::directory_iterator("/proc/" + std::to_string(pid) + "/fd", ec);
  return ec ? 0 : size_t(std::distance(it, std::filesystem::directory_iterator()));
}

using Figures = netvrf::bench::Percentiles;

Figures summarize(std::vector<double> ms) {
  return netvrf::bench::percentiles(std::move(ms));
}

// One way to get the list; returns the size of what came back, or nothing on failure.
struct Method {
  using Op = std::function<std::optional<size_t>()>;
  Method(const char* n, Op o) : name(n), op(std::move(o)) {}
  const char* name;
  Op op;
  std::vector<double> ms;
  int failures = 0;
  size_t bytes = 0;  // of the last answer
};

Method::Op command(std::vector<std::string> argv) {
  return [argv = std::move(argv)]() -> std::optional<size_t> {
    netvrf::test::Result r = netvrf::test::run(argv);
    if (r.status != 0) {
      std::fprintf(stderr, "  %s: %s", argv[0].c_str(), r.out.c_str());
      return std::nullopt;
    }
    return r.out.size();
  };
}

// The call netvrfctl makes, on a connection that stays open: the bus and netvrfd, without a
// process start. No signal matches, so nothing queues up on it between rounds.
Method::Op inProcess(sdbus::IProxy& proxy) {
  return [&proxy]() -> std::optional<size_t> {
    std::vector<sdbus::Struct<std::string, std::string, std::string, std::string, uint32_t,
                              std::string, std::string, std::string>>
        all;
    try {
      proxy.callMethod("ListContainers").onInterface("org.netvrf1.Manager").storeResultsTo(all);
    } catch (const sdbus::Error& e) {
      std::fprintf(stderr, "  ListContainers: %s\n", e.what());
      return std::nullopt;
    }
    return all.size();
  };
}

constexpr int kWarmUp = 3;         // unmeasured rounds first: page cache, the bus's first lookups
constexpr int kCallsPerRound = 3;  // the methods that call ListContainers

void measure(std::vector<Method>& methods, int rounds) {
  for (int i = -kWarmUp; i < rounds; ++i) {
    for (auto& m : methods) {
      auto t0 = Clock::now();
      std::optional<size_t> got = m.op();
      double ms = msSince(t0);
      if (!got) {
        ++m.failures;
        continue;
      }
      m.bytes = *got;
      if (i >= 0) m.ms.push_back(ms);
    }
  }
}

// The first row is the one with the target; the last is what every netvrfctl call costs before
// it touches the bus (exec, dynamic linking of sdbus-c++ and libsystemd).
std::vector<Method> methods(sdbus::IProxy& proxy) {
  std::string ctl = netvrf::test::netvrfctlPath();
  return {
      {"netvrfctl --json list", command({ctl, "--json", "list"})},
      {"busctl call ListContainers",
       command({"busctl", "--system", "call", "org.netvrf1", "/org/netvrf1", "org.netvrf1.Manager",
                "ListContainers"})},
      {"ListContainers in-process", inProcess(proxy)},
      {"ip netns list", command({"ip", "netns", "list"})},
      {"netvrfctl --help (no bus)", command({ctl, "--help"})},
  };
}

// The 1-minute load average: other work on the machine shows in every figure here.
std::string loadAverage() {
  std::ifstream in("/proc/loadavg");
  std::string load;
  in >> load;
  return load;
}

size_t listed(const std::string& prefix) {
  auto r = netvrf::test::run({netvrf::test::netvrfctlPath(), "--json", "list"});
  if (r.status != 0) return 0;
  size_t n = 0;
  for (const auto& c : nlohmann::json::parse(r.out))
    if (c.value("netns", "").starts_with(prefix) && c.value("state", "") == "registered") ++n;
  return n;
}

std::vector<std::string> leftovers(const std::string& prefix) {
  std::vector<std::string> left;
  std::error_code ec;
  for (const auto& e : std::filesystem::directory_iterator("/var/run/netns", ec))
    if (e.path().filename().string().starts_with(prefix)) left.push_back(e.path());
  return left;
}

int bench(int n, int rounds) {
  // netvrfd keeps a pidfd per registered process and inherits our limit: the soft one goes up
  // to the hard one, so that it is not what we measure. (Under systemd, without LimitNOFILE=, a
  // service gets 1024; the fd count at the end shows how close that is.)
  rlimit lim{};
  getrlimit(RLIMIT_NOFILE, &lim);
  lim.rlim_cur = lim.rlim_max;
  setrlimit(RLIMIT_NOFILE, &lim);

  // Names under a prefix of this run's own in the real /var/run/netns.
  std::string prefix = "nvba" + std::to_string(getpid()) + "-";
  SystemBus bus;
  // Every child (netvrfctl, busctl) finds the private bus as the system bus.
  std::string busEnv = bus.env();
  setenv("DBUS_SYSTEM_BUS_ADDRESS", busEnv.substr(busEnv.find('=') + 1).c_str(), 1);
  // No runtime watchers: every entry is one of ours, and nothing else wakes netvrfd.
  Netvrfd daemon(R"({"docker": {"enabled": false}, "containerd": {"enabled": false}})", {busEnv});
  if (!daemon.startReady()) {
    std::fprintf(stderr, "netvrfd did not become ready:\n%s", daemon.log().c_str());
    return 1;
  }
  pid_t pid = daemon.pid();
  std::vector<std::unique_ptr<NetnsProcess>> procs;
  int status = 0;
  std::string loadAtStart = loadAverage();

  std::fprintf(stderr, "0 namespaces: %d rounds\n", rounds);
  auto connection = sdbus::createSystemBusConnection();
  auto proxy = sdbus::createProxy(*connection, "org.netvrf1", "/org/netvrf1");
  std::vector<Method> at0 = methods(*proxy);
  double cpu = cpuMs(pid);
  measure(at0, rounds);
  double cpuPerCall0 = (cpuMs(pid) - cpu) / (kCallsPerRound * (rounds + kWarmUp));
  double rss0 = statusMb(pid, "VmRSS"), anon0 = statusMb(pid, "RssAnon");
  double pss0 = statusMb(pid, "Pss", "smaps_rollup");
  size_t fds0 = openFds(pid);

  std::fprintf(stderr, "starting %d processes, each in a network namespace of its own\n", n);
  auto t0 = Clock::now();
  for (int i = 0; i < n; ++i) {
    procs.push_back(std::make_unique<NetnsProcess>());
    if ((i + 1) % 100 == 0) std::fprintf(stderr, "  %d/%d\n", i + 1, n);
  }
  std::fprintf(stderr, "  done in %.1f s\n", msSince(t0) / 1000);

  std::fprintf(stderr, "registering them: netvrfctl netns add %sNNNN --pid PID\n", prefix.c_str());
  std::vector<double> addMs;
  int addFailures = 0;
  t0 = Clock::now();
  for (int i = 0; i < n; ++i) {
    char name[64];
    std::snprintf(name, sizeof name, "%s%04d", prefix.c_str(), i);
    auto c0 = Clock::now();
    auto r = netvrf::test::run({netvrf::test::netvrfctlPath(), "netns", "add", name, "--pid",
                                std::to_string(procs[size_t(i)]->pid())});
    addMs.push_back(msSince(c0));
    if (r.status != 0 && ++addFailures <= 3) std::fprintf(stderr, "  %s: %s", name, r.out.c_str());
    if ((i + 1) % 100 == 0) std::fprintf(stderr, "  %d/%d\n", i + 1, n);
  }
  double addSeconds = msSince(t0) / 1000;
  size_t registered = listed(prefix);
  std::fprintf(stderr, "  %d in %.1f s; netvrfctl --json list shows %zu of ours registered\n", n,
               addSeconds, registered);

  double anonRegistered = statusMb(pid, "RssAnon");  // before the list calls add theirs
  std::vector<Method> atN = methods(*proxy);
  double cpuPerCallN = 0;
  if (registered == size_t(n)) {
    std::fprintf(stderr, "%d namespaces: %d rounds\n", n, rounds);
    cpu = cpuMs(pid);
    measure(atN, rounds);
    cpuPerCallN = (cpuMs(pid) - cpu) / (kCallsPerRound * (rounds + kWarmUp));
  } else {
    std::fprintf(stderr, "bench/api: %zu of %d registered; not measuring\n%s", registered, n,
                 daemon.log().c_str());
    status = 1;
  }
  double rssN = statusMb(pid, "VmRSS"), anonN = statusMb(pid, "RssAnon");
  double pssN = statusMb(pid, "Pss", "smaps_rollup");
  double hwm = statusMb(pid, "VmHWM");
  std::string loadAtEnd = loadAverage();
  size_t fdsN = openFds(pid);

  std::fprintf(stderr, "unregistering (netvrfctl netns del), then stopping the processes\n");
  std::vector<double> delMs;
  t0 = Clock::now();
  for (int i = 0; i < n; ++i) {
    char name[64];
    std::snprintf(name, sizeof name, "%s%04d", prefix.c_str(), i);
    auto c0 = Clock::now();
    netvrf::test::run({netvrf::test::netvrfctlPath(), "netns", "del", name});
    delMs.push_back(msSince(c0));
  }
  double delSeconds = msSince(t0) / 1000;
  procs.clear();
  proxy.reset();
  connection.reset();
  daemon.signal(SIGTERM);
  int daemonExit = daemon.wait();
  bus.stop();
  auto left = leftovers(prefix);
  for (const auto& path : left) {  // not ours to leave behind, whoever failed
    netvrf::test::run({"umount", path});
    std::filesystem::remove(path);
  }

  std::printf(
      "\nlist round trips, timed by the caller (spawn, all output, exit); %d rounds each, methods\n"
      "interleaved; netvrfd %s build, no runtime watchers; load average %s at the start,\n"
      "%s at the end of the measurements\n",
      rounds, kBuild, loadAtStart.c_str(), loadAtEnd.c_str());
  std::printf("%-28s %10s %8s %8s %8s %10s %8s\n", "what", "namespaces", "p50 ms", "p99 ms",
              "max ms", "answer", "failed");
  for (auto* set : {&at0, &atN}) {
    for (const auto& m : *set) {
      if (m.ms.empty() && !m.failures) continue;  // not measured
      Figures f = summarize(m.ms);
      std::printf("%-28s %10d %8.2f %8.2f %8.2f %10zu %8d\n", m.name, set == &at0 ? 0 : n, f.p50,
                  f.p99, f.max, m.bytes, m.failures);
      status |= m.failures ? 1 : 0;
    }
  }
  std::printf("(answer: bytes on stdout; for the in-process call, entries)\n");
  Figures list = summarize(atN[0].ms);
  Figures ipNetns = summarize(atN[3].ms);  // methods(): "ip netns list"
  bool latencyOk = !atN[0].ms.empty() && !atN[3].ms.empty() && list.p50 <= ipNetns.p50 &&
                   list.p99 <= ipNetns.p99;
  bool memoryOk = anonRegistered < kTargetAnonMb && anonN < kTargetAnonMb;
  if (atN[0].ms.empty() || atN[3].ms.empty())
    std::printf(
        "target: netvrfctl --json list at %d no slower than ip netns list: not measured, "
        "MISS\n",
        n);
  else
    std::printf(
        "target: netvrfctl --json list at %d no slower than ip netns list: p50 %.2f vs "
        "%.2f ms, p99 %.2f vs %.2f ms, %s\n",
        n, list.p50, ipNetns.p50, list.p99, ipNetns.p99, latencyOk ? "PASS" : "MISS");
  // File pages (the binary and its libraries: gRPC, protobuf, abseil) are shared with every
  // other process that maps them, and PSS counts a shared page in parts: the target is on what
  // netvrfd itself allocates.
  std::printf(
      "target: netvrfd anonymous memory at %d under %.0f MB: %.1f MB (%.1f MB after the "
      "list rounds), %s\n",
      n, kTargetAnonMb, anonRegistered, anonN, memoryOk ? "PASS" : "MISS");
  std::printf(
      "  anonymous at 0: %.1f MB; resident (VmRSS) %.1f MB at 0, %.1f MB at %d (peak "
      "%.1f MB); PSS %.1f MB at 0, %.1f MB at %d\n",
      anon0, rss0, rssN, n, hwm, pss0, pssN, n);
  // Most of it is the namespace's D-Bus object (README, "Memory"): sdbus-c++ 1.2 keeps a
  // property table and an sd-bus vtable per object, about 300 bytes per property.
  std::printf("  anonymous memory per registered namespace: %.1f KB\n",
              (anonRegistered - anon0) * 1024 / n);
  std::printf("netvrfd CPU per ListContainers call at 0: %.2f ms, at %d: %.2f ms\n", cpuPerCall0, n,
              cpuPerCallN);
  std::printf("netvrfd open fds at 0: %zu, at %d: %zu (soft limit %llu)\n", fds0, n, fdsN,
              (unsigned long long)lim.rlim_cur);
  Figures add = summarize(addMs), del = summarize(delMs);
  std::printf("netvrfctl netns add: %d in %.1f s, %.0f/s (p50 %.2f ms, p99 %.2f ms), %d failed\n",
              n, addSeconds, n / addSeconds, add.p50, add.p99, addFailures);
  std::printf("netvrfctl netns del: %d in %.1f s, %.0f/s (p50 %.2f ms, p99 %.2f ms)\n", n,
              delSeconds, n / delSeconds, del.p50, del.p99);
  std::printf("left in /var/run/netns under %s: %zu%s; netvrfd exit status %d\n", prefix.c_str(),
              left.size(), left.empty() ? "" : " (removed now)", daemonExit);
  if (!left.empty() || addFailures) status = 1;
  return status;
}

}  // namespace

int main(int argc, char** argv) {
  int n = 1000, rounds = 200;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--rounds" && i + 1 < argc && std::atoi(argv[i + 1]) > 0)
      rounds = std::atoi(argv[++i]);
    else if (std::atoi(a.c_str()) > 0 && std::atoi(a.c_str()) <= 9999)
      n = std::atoi(a.c_str());
    else {
      std::fprintf(stderr,
                   "usage: bench_api [N] [--rounds R]   (N namespaces, 1 to 9999, default 1000;"
                   " R rounds, default 200)\n");
      return 2;
    }
  }
  if (geteuid() != 0) {
    std::fprintf(stderr, "bench/api: needs root (registers namespaces); run scripts/bench api\n");
    return 2;
  }
  // Caught, so that the destructors run: the processes, netvrfd and the bus must not outlive us.
  try {
    return bench(n, rounds);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "bench/api: %s\n", e.what());
    return 1;
  }
}
