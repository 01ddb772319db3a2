// bench/idle: how often netvrfd wakes while nothing happens, and with how many threads (issue 16:
// no wakeups besides WATCHDOG=1). For each case, netvrfd is started, left to settle, and the
// context switches of each of its threads are counted over a window (default 60 s): with every
// runtime up (the test dockerd, containerd and Podman service, nothing changing) and with every
// runtime absent (sockets that do not exist); and with the runtimes up but the containerd
// watcher off, which is what a containerd watcher without gRPC could at best cost (gRPC's timer
// threads wake about once a second whatever happens, grpc/grpc#19947). Memory (anonymous and
// resident) and the size of the gRPC, protobuf and abseil libraries netvrfd maps are printed
// for each. Side by side, over the same window, dockerd's and containerd's own wakeups, the
// daemons a user runs anyway. Needs root and the test services (run it
// through scripts/bench idle).
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "harness.hpp"
#include "threads.hpp"

namespace {

using netvrf::test::Netvrfd;

struct Row {
  int threads = 0;
  long switches = 0;
};

// Per thread name: how many threads, and their switches between two samples.
std::map<std::string, Row> delta(const std::map<std::string, long>& before,
                                 const std::map<std::string, long>& after) {
  std::map<std::string, Row> rows;
  for (const auto& [key, n] : after) {
    Row& r = rows[netvrf::test::threadName(key)];
    ++r.threads;
    auto was = before.find(key);
    r.switches += n - (was == before.end() ? 0 : was->second);  // a new thread: all of its own
  }
  return rows;
}

pid_t pidOf(const char* program) {
  auto r = netvrf::test::run({"pgrep", "-xo", program});
  return r.status == 0 ? pid_t(std::atoi(r.out.c_str())) : 0;
}

// A line of /proc/PID/status in MB ("RssAnon:   2560 kB").
double statusMb(pid_t pid, const std::string& key) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  for (std::string line; std::getline(in, line);)
    if (line.starts_with(key + ":")) return std::stod(line.substr(key.size() + 1)) / 1024;
  return 0;
}

// Size on disk of the shared libraries `pid` maps: all of them, and gRPC's with what only it
// brings in (protobuf, abseil, upb, re2, c-ares, address_sorting).
std::pair<double, double> librariesMb(pid_t pid) {
  std::ifstream maps("/proc/" + std::to_string(pid) + "/maps");
  std::set<std::string> files;
  for (std::string line; std::getline(maps, line);)
    if (auto at = line.find(" /"); at != std::string::npos && line.find(".so") != std::string::npos)
      files.insert(line.substr(at + 1));
  double all = 0, grpc = 0;
  for (const auto& f : files) {
    std::error_code ec;
    double mb = double(std::filesystem::file_size(f, ec)) / (1024 * 1024);
    if (ec) continue;
    all += mb;
    std::string base = std::filesystem::path(f).filename();
    for (const char* part :
         {"grpc", "gpr", "protobuf", "absl", "upb", "re2", "cares", "address_sorting"})
      if (base.find(part) != std::string::npos) {
        grpc += mb;
        break;
      }
  }
  return {all, grpc};
}

long total(const std::map<std::string, Row>& rows) {
  long n = 0;
  for (const auto& [name, r] : rows) n += r.switches;
  return n;
}

struct Woke {
  long all = -1, own = -1;  // -1: netvrfd did not start
};

// netvrfd's switches in the window: all of its threads', and its own threads'.
Woke measure(const char* title, const std::string& config, int seconds) {
  std::fprintf(stderr, "%s: starting netvrfd\n", title);
  Netvrfd d(config);
  if (!d.startReady()) {
    std::fprintf(stderr, "netvrfd did not become ready:\n%s", d.log().c_str());
    return {};
  }
  // Settle: the first connections, listings and failed attempts end.
  std::this_thread::sleep_for(std::chrono::seconds(3));
  std::vector<std::pair<std::string, pid_t>> others{{"dockerd", pidOf("dockerd")},
                                                    {"containerd", pidOf("containerd")}};
  auto before = netvrf::test::threadSwitches(d.pid());
  std::map<std::string, std::map<std::string, long>> othersBefore;
  for (const auto& [name, pid] : others)
    if (pid) othersBefore[name] = netvrf::test::threadSwitches(pid);
  std::fprintf(stderr, "%s: counting for %d s\n", title, seconds);
  std::this_thread::sleep_for(std::chrono::seconds(seconds));
  auto rows = delta(before, netvrf::test::threadSwitches(d.pid()));
  std::printf("\n%s: netvrfd's threads, context switches in %d s of nothing happening\n", title,
              seconds);
  std::printf("%-20s %8s %10s %10s\n", "thread", "threads", "switches", "per s");
  for (const auto& [name, r] : rows)
    std::printf("%-20s %8d %10ld %10.2f\n", name.c_str(), r.threads, r.switches,
                double(r.switches) / seconds);
  long own = 0;
  int ownThreads = 0, threads = 0;
  for (const auto& [name, r] : rows) {
    threads += r.threads;
    if (name.starts_with("nv-") || name == "netvrfd") {
      own += r.switches;
      ownThreads += r.threads;
    }
  }
  long all = total(rows);
  std::printf("netvrfd: %d threads (%d its own), %ld switches (%.2f/s; its own threads %ld)\n",
              threads, ownThreads, all, double(all) / seconds, own);
  auto [libs, grpcLibs] = librariesMb(d.pid());
  std::printf(
      "netvrfd memory: anonymous %.1f MB, resident %.1f MB; libraries mapped %.1f MB on "
      "disk, of which gRPC's %.1f MB\n",
      statusMb(d.pid(), "RssAnon"), statusMb(d.pid(), "VmRSS"), libs, grpcLibs);
  for (const auto& [name, pid] : others) {
    if (!pid) continue;
    auto theirs = delta(othersBefore[name], netvrf::test::threadSwitches(pid));
    int n = 0;
    for (const auto& [t, r] : theirs) n += r.threads;
    std::printf("%s beside it: %d threads, %ld switches (%.2f/s)\n", name.c_str(), n, total(theirs),
                double(total(theirs)) / seconds);
  }
  d.stop();
  return {all, own};
}

}  // namespace

int main(int argc, char** argv) {
  int seconds = 60;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--seconds" && i + 1 < argc && std::atoi(argv[i + 1]) > 0) {
      seconds = std::atoi(argv[++i]);
    } else {
      std::fprintf(stderr, "usage: bench_idle [--seconds S]   (the window, default 60)\n");
      return 2;
    }
  }
  if (geteuid() != 0 || netvrf::test::missingDocker() || netvrf::test::missingContainerd()) {
    std::fprintf(stderr, "bench/idle: needs root and the test services; run scripts/bench idle\n");
    return 2;
  }
  // The harness's configuration points netvrfd at the test services' sockets.
  Woke up = measure("every runtime up", "", seconds);
  Woke absent = measure("every runtime absent",
                        R"({"docker": {"socket": "/nonexistent/docker.sock", "endpoints": [
            {"name": "podman", "socket": "/nonexistent/podman.sock"}]},
          "containerd": {"socket": "/nonexistent/containerd.sock"}})",
                        seconds);
  Woke noGrpc = measure("every runtime up, containerd watcher off (no gRPC)",
                        R"({"containerd": {"enabled": false}})", seconds);
  if (up.all < 0 || absent.all < 0 || noGrpc.all < 0) return 1;
  std::printf("\ntarget: no wakeups while nothing happens\n");
  std::printf("  netvrfd's own threads: runtimes up %ld, absent %ld: %s\n", up.own, absent.own,
              up.own == 0 && absent.own == 0 ? "PASS" : "MISS");
  std::printf("  every thread (gRPC's too): runtimes up %ld, absent %ld: %s\n", up.all, absent.all,
              up.all == 0 && absent.all == 0 ? "PASS" : "MISS");
  return 0;
}
