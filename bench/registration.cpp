// bench/registration: how fast a started container becomes usable under `ip netns`, and at
// what CPU cost, for netvrfd's two paths and for the by-hand way (docker inspect + ip netns
// attach), N containers started at once for each N given (default 1, 50 and 200):
//   netvrfd (containerd task): from containerd's TaskStart, proven by the process's cgroup;
//   netvrfd (start event):     containerd off, so from Docker's start event and inspection.
// Latency runs from Docker's own start event (timeNano) to the moment the entry's mount
// appears in /proc/self/mountinfo (watched with POLLPRI, independent of either method); it is
// negative when the entry was there before dockerd sent its event.
// --runs R: R sequential `docker run -d` for each of netvrfd's paths, counting the entries
// present when each `docker run -d` returned.
// Needs root and the test services (run it through scripts/bench, which provides both).
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
#include <optional>
#include <sstream>
#include <string>
#include <thread>
#include <variant>
#include <vector>

#include "harness.hpp"
#include "netns/pin.hpp"
#include "percentiles.hpp"
#include "runtime/containerd/client.hpp"
#include "runtime/containerd/event_decode.hpp"
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
  std::map<std::string, std::string> names() {  // id -> name
    std::lock_guard lock(mutex_);
    return names_;
  }

 private:
  void add(const netvrf::docker::Event& e) {
    if (!e.name.starts_with(prefix_)) return;
    {
      std::lock_guard lock(mutex_);
      times_.emplace(e.name, e.timeNano);
      names_.emplace(e.id, e.name);
    }
    if (onStart_) onStart_(e);
  }
  std::string prefix_;
  OnStart onStart_;
  std::atomic<bool> connected_{false};
  std::mutex mutex_;
  std::map<std::string, int64_t> times_;
  std::map<std::string, std::string> names_;
  netvrf::docker::EventStream stream_;
};

// containerd's task starts of Docker's containers (namespace moby), as a subscriber of its own
// receives them, beside netvrfd: container id -> when. Where the containerd path's time goes:
// before this moment it is dockerd's and containerd's, after it netvrfd's.
class TaskStarts {
 public:
  explicit TaskStarts(const std::string& socket) : client_(socket) {
    thread_ = std::thread([this] {
      try {
        client_.subscribe(
            {R"(topic=="/tasks/start")"}, [this] { subscribed_ = true; },
            [this](netvrf::ctrd::Client::Event e) {
              if (e.ns != "moby") return;
              auto event = netvrf::ctrd::decodeTaskEvent(e.topic, e.payload);
              if (const auto* started =
                      event ? std::get_if<netvrf::ctrd::TaskStarted>(&*event) : nullptr) {
                std::lock_guard lock(mutex_);
                times_.emplace(started->containerId, nowNano());
              }
            });
      } catch (const std::exception& e) {
        std::fprintf(stderr, "  containerd's events: %s\n", e.what());
      }
    });
    netvrf::test::waitUntil([&] { return subscribed_.load(); });
  }
  ~TaskStarts() {
    client_.cancel();
    thread_.join();
  }
  std::map<std::string, int64_t> times() {
    std::lock_guard lock(mutex_);
    return times_;
  }

 private:
  netvrf::ctrd::Client client_;
  std::atomic<bool> subscribed_{false};
  std::mutex mutex_;
  std::map<std::string, int64_t> times_;
  std::thread thread_;
};

struct Figures {
  double p50 = 0, p99 = 0, max = 0, cpuMsPerContainer = 0;
  size_t missing = 0;
  // The containerd path, split where containerd's task start reaches a second subscriber:
  // Docker's start event -> that moment (dockerd and containerd), and that moment -> the mount
  // (netvrfd, and the event's delivery to it).
  std::optional<netvrf::bench::Percentiles> startToTask, taskToMount;
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
      if (args.size() > 1) docker.cli(args);
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
  std::printf("%-36s %8.2f %8.2f %8.2f %12.2f %8zu\n", what, f.p50, f.p99, f.max,
              f.cpuMsPerContainer, f.missing);
}

// netvrfd with `config`: n containers started at once.
Figures viaNetvrfd(Docker& docker, const char* sock, const std::string& prefix, int n,
                   const std::string& config, TaskStarts* tasks = nullptr) {
  Netvrfd d(config);
  d.start();
  if (!d.waitReady()) {
    std::fprintf(stderr, "netvrfd did not become ready:\n%s", d.log().c_str());
    std::exit(1);
  }
  pid_t pid = d.pid();
  MountWatcher mounts(prefix);
  StartEvents starts(sock, prefix);
  int64_t cpu0 = processCpuNano(pid);
  auto names = startContainers(docker, prefix, n, [&] { return mounts.seen().size(); });
  netvrf::test::waitUntil([&] { return mounts.seen().size() >= size_t(n); },
                          std::chrono::seconds(60));
  // Docker's start events may come after the mounts: wait for them too.
  netvrf::test::waitUntil([&] { return starts.times().size() >= size_t(n); },
                          std::chrono::seconds(10));
  int64_t cpu = processCpuNano(pid) - cpu0;
  Figures f = summarize(starts.times(), mounts.seen(), cpu, n);
  if (tasks) {
    auto startTimes = starts.times();
    auto mounted = mounts.seen();
    auto taskTimes = tasks->times();
    std::vector<double> startToTask, taskToMount;
    for (const auto& [id, name] : starts.names()) {
      auto task = taskTimes.find(id);
      if (task == taskTimes.end()) continue;
      startToTask.push_back(double(task->second - startTimes[name]) / 1e6);
      if (auto m = mounted.find(name); m != mounted.end())
        taskToMount.push_back(double(m->second - task->second) / 1e6);
    }
    f.startToTask = netvrf::bench::percentiles(std::move(startToTask));
    f.taskToMount = netvrf::bench::percentiles(std::move(taskToMount));
  }
  removeContainers(docker, names);
  return f;
}

// By hand: what an operator's script does on each start event.
Figures byHand(Docker& docker, const char* sock, const std::string& prefix, int n) {
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
  Figures f = summarize(starts.times(), mounts.seen(), cpu, n);
  for (const auto& name : names) netvrf::test::run({"ip", "netns", "del", name});
  removeContainers(docker, names);
  return f;
}

// R sequential `docker run -d` under netvrfd with `config`: how many entries were mounted when
// `docker run -d` returned (and how many at all, after a wait).
std::pair<int, int> presentAtReturn(Docker& docker, const std::string& prefix, int runs,
                                    const std::string& config) {
  Netvrfd d(config);
  if (!d.startReady()) {
    std::fprintf(stderr, "netvrfd did not become ready:\n%s", d.log().c_str());
    std::exit(1);
  }
  int present = 0, eventually = 0;
  std::vector<std::string> batch;
  auto settle = [&] {
    for (const auto& name : batch)
      eventually += netvrf::test::waitUntil([&] { return netvrf::test::entryNs(name).has_value(); },
                                            std::chrono::seconds(10));
    removeContainers(docker, batch);
    batch.clear();
  };
  for (int i = 0; i < runs; ++i) {
    batch.push_back(prefix + std::to_string(i));
    docker.runDetached(batch.back());
    present += netvrf::test::entryNs(batch.back()).has_value();
    if (batch.size() == 50) settle();
    if ((i + 1) % 100 == 0)
      std::fprintf(stderr, "  %d/%d runs, %d present at return\n", i + 1, runs, present);
  }
  settle();
  return {present, eventually};
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<int> sizes;
  int runs = 0;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--one-at-a-time") {
      atOnce = false;
    } else if (a == "--runs" && i + 1 < argc && std::atoi(argv[i + 1]) > 0) {
      runs = std::atoi(argv[++i]);
    } else if (std::atoi(a.c_str()) > 0) {
      sizes.push_back(std::atoi(a.c_str()));
    } else {
      std::fprintf(stderr, "usage: bench_registration [N...] [--one-at-a-time] [--runs R]\n");
      return 2;
    }
  }
  if (sizes.empty() && !runs) sizes = {1, 50, 200};
  const char* sock = std::getenv("NETVRF_TEST_DOCKER_SOCK");
  if (!sock || geteuid() != 0 || !std::getenv("NETVRF_TEST_IMAGE") ||
      netvrf::test::missingContainerd()) {
    std::fprintf(stderr,
                 "bench/registration: needs root and the test services; run scripts/bench\n");
    return 2;
  }
  Docker docker;
  std::string tag = "nvb" + std::to_string(getpid());
  // The harness's configuration points netvrfd at the test containerd, which dockerd uses.
  const std::string withContainerd;
  const std::string withoutContainerd = R"({"containerd": {"enabled": false}})";

  struct Row {
    int n;
    const char* method;
    Figures f;
  };
  std::vector<Row> rows;
  for (int n : sizes) {
    std::string size = std::to_string(n);
    std::fprintf(stderr, "netvrfd (containerd task): %d containers\n", n);
    {
      TaskStarts tasks(netvrf::test::containerdSock());
      rows.push_back({n, "netvrfd (containerd task)",
                      viaNetvrfd(docker, sock, tag + "t" + size + "-", n, withContainerd, &tasks)});
    }
    std::fprintf(stderr, "netvrfd (start event): %d containers\n", n);
    rows.push_back({n, "netvrfd (start event)",
                    viaNetvrfd(docker, sock, tag + "e" + size + "-", n, withoutContainerd)});
    std::fprintf(stderr, "by hand: %d containers\n", n);
    rows.push_back({n, "by hand (docker inspect + ip netns)",
                    byHand(docker, sock, tag + "h" + size + "-", n)});
  }

  int status = 0;
  if (!rows.empty()) {
    std::printf("\nregistration, containers started %s (Docker's start event -> entry mounted)\n",
                atOnce ? "at once" : "one at a time");
    std::printf("%5s %-36s %8s %8s %8s %12s %8s\n", "N", "method", "p50 ms", "p99 ms", "max ms",
                "CPU ms/ctr", "missing");
    for (const auto& r : rows) {
      std::printf("%5d ", r.n);
      print(r.method, r.f);
      if (r.f.missing) status = 1;
    }
    for (const auto& r : rows)
      if (std::string(r.method) == "netvrfd (containerd task)")
        std::printf("target at %d: p99 <= 5 ms: %.2f ms, %s\n", r.n, r.f.p99,
                    r.f.p99 <= 5 ? "PASS" : "MISS");
    std::printf(
        "\nwhere the containerd path's time goes, at containerd's task start as a second "
        "subscriber sees it\n");
    std::printf("%5s %-36s %8s %8s %8s\n", "N", "span", "p50 ms", "p99 ms", "max ms");
    for (const auto& r : rows) {
      if (!r.f.startToTask) continue;
      std::printf("%5d %-36s %8.2f %8.2f %8.2f\n", r.n, "Docker's start event -> task start",
                  r.f.startToTask->p50, r.f.startToTask->p99, r.f.startToTask->max);
      std::printf("%5d %-36s %8.2f %8.2f %8.2f\n", r.n, "task start -> entry mounted",
                  r.f.taskToMount->p50, r.f.taskToMount->p99, r.f.taskToMount->max);
    }
  }
  if (runs) {
    std::fprintf(stderr, "netvrfd (containerd task): %d sequential docker run -d\n", runs);
    auto [task, taskAll] = presentAtReturn(docker, tag + "rt", runs, withContainerd);
    std::fprintf(stderr, "netvrfd (start event): %d sequential docker run -d\n", runs);
    auto [event, eventAll] = presentAtReturn(docker, tag + "re", runs, withoutContainerd);
    std::printf("\nentries mounted when `docker run -d` returned, %d sequential runs\n", runs);
    std::printf("netvrfd (containerd task): %d of %d (%d after a wait)\n", task, runs, taskAll);
    std::printf("netvrfd (start event):     %d of %d (%d after a wait)\n", event, runs, eventAll);
    std::printf("target: %d of %d: %s\n", runs, runs, task == runs ? "PASS" : "MISS");
    if (taskAll != runs || eventAll != runs) status = 1;
  }
  return status;
}
