// bench/registration: how fast a started container becomes usable under `ip netns`, and at
// what CPU cost, for netvrfd and for the by-hand way (docker inspect + ip netns attach).
//
// Latency runs from Docker's own start event (timeNano) to the moment the entry's mount
// appears in /proc/self/mountinfo (watched with POLLPRI, independent of either method).
// Needs root and the test dockerd (run it through scripts/bench, which provides both).
#include <fcntl.h>
#include <poll.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <functional>
#include <map>
#include <mutex>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "percentiles.hpp"
#include "harness.hpp"
#include "netns/pin.hpp"
#include "runtime/docker/event_stream.hpp"

namespace {

using netvrf::test::Docker;
using netvrf::test::Netvrfd;

int64_t nowNano() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// CPU time (user + system) of a running process, all threads.
int64_t processCpuNano(pid_t pid) {
  auto ticks = netvrf::processStatField(pid, 14) + netvrf::processStatField(pid, 15);
  return int64_t(ticks) * (1000000000 / sysconf(_SC_CLK_TCK));
}

// Notes when each /run/netns/<prefix>* mount first appears.
class MountWatcher {
 public:
  explicit MountWatcher(std::string prefix) : prefix_("/run/netns/" + std::move(prefix)) {
    fd_ = open("/proc/self/mountinfo", O_RDONLY | O_CLOEXEC);
    scan();
    thread_ = std::thread([this] {
      while (!stop_) {
        pollfd p{fd_, POLLPRI, 0};
        if (poll(&p, 1, 50) > 0) scan();
      }
    });
  }
  ~MountWatcher() {
    stop_ = true;
    thread_.join();
    close(fd_);
  }
  std::map<std::string, int64_t> seen() {
    std::lock_guard lock(mutex_);
    return seen_;
  }

 private:
  void scan() {
    int64_t t = nowNano();
    char buf[1 << 16];
    std::string all;
    lseek(fd_, 0, SEEK_SET);
    for (ssize_t n; (n = read(fd_, buf, sizeof buf)) > 0;) all.append(buf, size_t(n));
    std::istringstream lines(all);
    std::lock_guard lock(mutex_);
    for (std::string line; std::getline(lines, line);) {
      std::istringstream f(line);
      std::string a, b, c, root, mp;
      f >> a >> b >> c >> root >> mp;
      if (mp.starts_with(prefix_)) seen_.emplace(mp.substr(11), t);  // after "/run/netns/"
    }
  }
  std::string prefix_;
  int fd_;
  std::atomic<bool> stop_{false};
  std::thread thread_;
  std::mutex mutex_;
  std::map<std::string, int64_t> seen_;
};

// Docker's start events for our containers: name -> timeNano.
class StartEvents {
 public:
  using OnStart = std::function<void(const netvrf::docker::Event&)>;
  StartEvents(const std::string& socket, std::string prefix, OnStart onStart = {})
      : prefix_(std::move(prefix)),
        onStart_(std::move(onStart)),
        stream_(socket, R"({"type":["container"],"event":["start"]})",
                {.connected = [this] { connected_ = true; },
                 .disconnected = [](const std::string&) {},
                 .event = [this](netvrf::docker::Event e) { add(e); }}) {
    stream_.start();
    netvrf::test::waitUntil([&] { return connected_.load(); });
  }
  std::map<std::string, int64_t> times() {
    std::lock_guard lock(mutex_);
    return times_;
  }

 private:
  void add(const netvrf::docker::Event& e) {
    if (!e.name.starts_with(prefix_)) return;
    {
      std::lock_guard lock(mutex_);
      times_.emplace(e.name, e.timeNano);
    }
    if (onStart_) onStart_(e);
  }
  std::string prefix_;
  OnStart onStart_;
  std::atomic<bool> connected_{false};
  std::mutex mutex_;
  std::map<std::string, int64_t> times_;
  netvrf::docker::EventStream stream_;
};

struct Figures {
  double p50 = 0, p99 = 0, max = 0, cpuMsPerContainer = 0;
  size_t missing = 0;
};

Figures summarize(const std::map<std::string, int64_t>& starts,
                  const std::map<std::string, int64_t>& mounts, int64_t cpuNano, int n) {
  std::vector<double> ms;
  Figures f;
  for (const auto& [name, t] : starts) {
    auto it = mounts.find(name);
    if (it == mounts.end()) {
      ++f.missing;
      continue;
    }
    ms.push_back(double(it->second - t) / 1e6);
  }
  f.missing += size_t(n) - starts.size();
  auto p = netvrf::bench::percentiles(std::move(ms));
  f.p50 = p.p50;
  f.p99 = p.p99;
  f.max = p.max;
  f.cpuMsPerContainer = double(cpuNano) / 1e6 / n;
  return f;
}

// Creates n containers, then starts them all at once (8 docker CLI processes in parallel), or
// one at a time, each after the previous one has been registered.
bool atOnce = true;

std::vector<std::string> startContainers(Docker& docker, const std::string& prefix, int n,
                                         const std::function<size_t()>& registered) {
  std::vector<std::string> names;
  for (int i = 0; i < n; ++i) {
    names.push_back(prefix + std::to_string(i));
    docker.cli({"create", "--name", names.back(), std::getenv("NETVRF_TEST_IMAGE")});
  }
  if (!atOnce) {
    std::fprintf(stderr, "  created %d containers; starting them one at a time\n", n);
    for (int i = 0; i < n; ++i) {
      docker.cli({"start", names[size_t(i)]});
      netvrf::test::waitUntil([&] { return registered() >= size_t(i + 1); });
    }
    return names;
  }
  std::fprintf(stderr, "  created %d containers; starting them at once\n", n);
  std::vector<std::thread> starters;
  for (int t = 0; t < 8; ++t) {
    starters.emplace_back([&, t] {
      std::vector<std::string> args{"start"};
      for (int i = t; i < n; i += 8) args.push_back(names[size_t(i)]);
      docker.cli(args);
    });
  }
  for (auto& s : starters) s.join();
  return names;
}

void removeContainers(Docker& docker, const std::vector<std::string>& names) {
  for (size_t i = 0; i < names.size(); i += 50) {
    std::vector<std::string> args{"rm", "-f"};
    for (size_t j = i; j < std::min(names.size(), i + 50); ++j) args.push_back(names[j]);
    docker.cli(args);
  }
}

void print(const char* what, const Figures& f) {
  std::printf("%-34s %8.2f %8.2f %8.2f %12.2f %8zu\n", what, f.p50, f.p99, f.max,
              f.cpuMsPerContainer, f.missing);
}

}  // namespace

int main(int argc, char** argv) {
  int n = 100;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--one-at-a-time")
      atOnce = false;
    else if (std::atoi(a.c_str()) > 0)
      n = std::atoi(a.c_str());
    else {
      std::fprintf(stderr, "usage: bench_registration [N] [--one-at-a-time]\n");
      return 2;
    }
  }
  const char* sock = std::getenv("NETVRF_TEST_DOCKER_SOCK");
  if (!sock || geteuid() != 0 || !std::getenv("NETVRF_TEST_IMAGE")) {
    std::fprintf(stderr,
                 "bench/registration: needs root and the test dockerd; run scripts/bench\n");
    return 2;
  }
  Docker docker;
  std::string tag = "nvb" + std::to_string(getpid());

  // netvrfd.
  std::fprintf(stderr, "netvrfd: %d containers\n", n);
  Figures daemon;
  {
    std::string prefix = tag + "d";
    Netvrfd d;
    d.start();
    if (!d.waitReady()) {
      std::fprintf(stderr, "netvrfd did not become ready:\n%s", d.log().c_str());
      return 1;
    }
    pid_t pid = d.pid();
    MountWatcher mounts(prefix);
    StartEvents starts(sock, prefix);
    int64_t cpu0 = processCpuNano(pid);
    auto names = startContainers(docker, prefix, n, [&] { return mounts.seen().size(); });
    netvrf::test::waitUntil([&] { return mounts.seen().size() >= size_t(n); },
                            std::chrono::seconds(60));
    int64_t cpu = processCpuNano(pid) - cpu0;
    daemon = summarize(starts.times(), mounts.seen(), cpu, n);
    removeContainers(docker, names);
  }

  // By hand: what an operator's script does on each start event.
  std::fprintf(stderr, "by hand: %d containers\n", n);
  Figures byHand;
  {
    std::string prefix = tag + "h";
    MountWatcher mounts(prefix);
    std::atomic<int64_t> cpu{0};
    std::mutex queueMutex;
    std::vector<netvrf::docker::Event> queue;
    StartEvents starts(sock, prefix, [&](const netvrf::docker::Event& e) {
      std::lock_guard lock(queueMutex);
      queue.push_back(e);
    });
    std::atomic<bool> stop{false};
    std::thread worker([&] {  // one at a time, like `docker events | while read ...`
      while (!stop) {
        std::vector<netvrf::docker::Event> batch;
        {
          std::lock_guard lock(queueMutex);
          batch.swap(queue);
        }
        for (const auto& e : batch) {
          auto inspect = netvrf::test::run({"/usr/bin/docker", "-H", std::string("unix://") + sock,
                                            "inspect", "-f", "{{.State.Pid}}", e.id});
          std::string pid = inspect.out.substr(0, inspect.out.find('\n'));
          auto attach = netvrf::test::run({"ip", "netns", "attach", e.name, pid});
          cpu += inspect.cpuNano + attach.cpuNano;
        }
        if (batch.empty()) std::this_thread::sleep_for(std::chrono::milliseconds(1));
      }
    });
    auto names = startContainers(docker, prefix, n, [&] { return mounts.seen().size(); });
    netvrf::test::waitUntil([&] { return mounts.seen().size() >= size_t(n); },
                            std::chrono::seconds(120));
    stop = true;
    worker.join();
    byHand = summarize(starts.times(), mounts.seen(), cpu, n);
    for (const auto& name : names) netvrf::test::run({"ip", "netns", "del", name});
    removeContainers(docker, names);
  }

  std::printf("\nregistration of %d containers started %s (start event -> entry mounted)\n", n,
              atOnce ? "at once" : "one at a time");
  std::printf("%-34s %8s %8s %8s %12s %8s\n", "method", "p50 ms", "p99 ms", "max ms", "CPU ms/ctr",
              "missing");
  print("netvrfd", daemon);
  print("by hand (docker inspect + ip netns)", byHand);
  std::printf("CPU ratio (by hand / netvrfd): %.1fx\n",
              byHand.cpuMsPerContainer / std::max(daemon.cpuMsPerContainer, 1e-9));
  return daemon.missing == 0 && byHand.missing == 0 ? 0 : 1;
}
