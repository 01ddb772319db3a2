// Faults and churn against a real dockerd and a real netvrfd: netvrfd killed during bursts of
// container starts and stops, dockerd restarted during them, `ip netns` working on the same
// directory at the same time, containers that die at once while PIDs cycle, and thousands of
// start/stop cycles. Each scenario records its figures (figures.hpp); the table is printed at the
// end, and tests/reliability/report runs the scenarios at full size.
//
// Sizes come from the environment so CI runs a short version and the report the full one:
//   NETVRF_RELIABILITY_ROUNDS (2), NETVRF_RELIABILITY_BURST (16 containers a round),
//   NETVRF_RELIABILITY_CYCLES (60 start/stop cycles), NETVRF_RELIABILITY_SEED (from the clock).
#include <gtest/gtest.h>
#include <signal.h>
#include <sched.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <mutex>
#include <nlohmann/json.hpp>
#include <random>
#include <sstream>

#include "burst.hpp"
#include "figures.hpp"
#include "harness.hpp"
#include "probes.hpp"

namespace netvrf::test {
namespace {

using namespace std::chrono_literals;

int sizeOf(const char* var, int fallback) {
  const char* v = std::getenv(var);
  return v && *v ? std::atoi(v) : fallback;
}

class PrintTable : public ::testing::Environment {
 public:
  void TearDown() override {
    if (!recorded().empty()) std::cout << "\n" << table(recorded()) << std::flush;
  }
};
[[maybe_unused]] auto* const kTable = ::testing::AddGlobalTestEnvironment(new PrintTable);

class Reliability : public ::testing::Test {
 protected:
  void SetUp() override {
    NETVRF_REQUIRE(missingDocker());
    rounds_ = sizeOf("NETVRF_RELIABILITY_ROUNDS", 2);
    burst_ = sizeOf("NETVRF_RELIABILITY_BURST", 16);
    unsigned seed = unsigned(sizeOf("NETVRF_RELIABILITY_SEED", int(time(nullptr))));
    rng_.seed(seed);
    RecordProperty("seed", std::to_string(seed));
    std::cout << "seed " << seed << " (NETVRF_RELIABILITY_SEED)\n";
  }

  // Docker only: the scenarios count what is in the netns directory.
  std::string config() const {
    return R"({"state_dir": ")" + state_.path() +
           R"(/state", "containerd": {"enabled": false}, "docker": {"endpoints": []}})";
  }
  std::string stateDir() const { return state_.path() + "/state"; }
  std::string prefix(const std::string& tag) const {
    return "nvr" + std::to_string(getpid()) + tag + "-";
  }
  Burst::Options options() const {
    Burst::Options o;
    o.total = burst_;
    return o;
  }
  static Figures figures(std::string scenario, int rounds) {
    Figures f;
    f.scenario = std::move(scenario);
    f.rounds = rounds;
    return f;
  }
  int uniform(int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(rng_); }

  // netvrfd's end of a round: it must still run, have said nothing a sanitizer says, and stop
  // cleanly on SIGTERM.
  static void stopAndCount(Netvrfd& d, Figures& f) {
    std::string log = d.log();
    if (!alive(d.pid())) ++f.crashes;
    if (log.find("AddressSanitizer") != std::string::npos ||
        log.find("runtime error:") != std::string::npos)
      ++f.crashes;
    if (alive(d.pid())) {
      d.signal(SIGTERM);
      if (d.wait() != 0) ++f.crashes;
    }
  }

  // After the round's containers went: no entry, no mount and no pinned namespace may remain.
  void countLeftovers(Figures& f, const std::string& pfx, pid_t netvrfd, int nsFdsBefore,
                      const std::set<std::string>& foreign) {
    waitUntil(
        [&] {
          for (const auto& [name, ns] : entriesWithPrefix(pfx))
            if (!foreign.count(name)) return false;
          return true;
        },
        20s);
    for (const auto& [name, ns] : entriesWithPrefix(pfx))
      if (!foreign.count(name)) ++f.stale;
    f.leakedMounts += std::max(0, mountsWithPrefix(pfx) - int(foreign.size()));
    if (alive(netvrfd)) f.leakedFds += std::max(0, namespaceFds(netvrfd) - nsFdsBefore);
  }

  void addConsistency(Figures& f, const Consistency& c, const Netvrfd& d) {
    f.lost += c.lost;
    f.stale += c.stale;
    f.wrong += c.wrong;
    if (!c.clean()) ADD_FAILURE() << c.detail << "\n" << d.log();
  }

  // The end of a round: the containers against the entries once things settle, then the
  // round's containers removed and what they left behind counted.
  void endRound(Figures& f, const Netvrfd& d, Burst& burst, const std::string& pfx,
                int nsFdsBefore, const std::set<std::string>& foreign = {}) {
    addConsistency(f, settle(docker_, pfx, stateDir(), foreign, 30s), d);
    burst.removeAll();
    countLeftovers(f, pfx, d.pid(), nsFdsBefore, foreign);
  }

  void restartedDuringBursts(const std::string& service, const std::string& config, Figures f);

  static void expectClean(const Figures& f) {
    EXPECT_TRUE(f.clean()) << "\n" << table({f});
    EXPECT_GT(f.containers, 0);
  }

  TempDir state_;
  Docker docker_;
  int rounds_ = 2;
  int burst_ = 16;
  std::mt19937 rng_;
};

TEST_F(Reliability, NetvrfdKilledDuringBursts) {
  Figures f = figures("netvrfd SIGKILL during a burst", rounds_);
  for (int round = 0; round < rounds_; ++round) {
    std::string pfx = prefix("k" + std::to_string(round));
    auto d = std::make_unique<Netvrfd>(config());
    ASSERT_TRUE(d->startReady()) << d->log();
    int nsFdsBefore = namespaceFds(d->pid());
    Burst burst(pfx, options());
    burst.start();
    // A random point of the burst: after 0 to 80 % of its starts.
    int killAt = uniform(0, burst_ * 8 / 10);
    waitUntil([&] { return burst.started() >= killAt; }, 120s);
    if (!alive(d->pid())) ++f.crashes;
    d->signal(SIGKILL);
    d->wait();
    d = std::make_unique<Netvrfd>(config());
    ASSERT_TRUE(d->startReady()) << d->log();
    burst.join();
    f.containers += burst.started();
    endRound(f, *d, burst, pfx, nsFdsBefore);
    stopAndCount(*d, f);
  }
  record(f);
  expectClean(f);
}

// `scripts/test-services restart-X` at a random point of each burst: after it, every running
// container is registered and nothing is left of the stopped ones.
void Reliability::restartedDuringBursts(const std::string& service, const std::string& config,
                                        Figures f) {
  const char* services = std::getenv("NETVRF_TEST_SERVICES");
  NETVRF_REQUIRE(services ? std::nullopt
                          : std::optional<std::string>("needs scripts/test-services (NETVRF_TEST_"
                                                       "SERVICES unset); run through scripts/test"));
  Netvrfd d(config);
  ASSERT_TRUE(d.startReady()) << d.log();
  int nsFdsBefore = namespaceFds(d.pid());
  for (int round = 0; round < rounds_; ++round) {
    std::string pfx = prefix(service.substr(0, 2) + std::to_string(round));
    Burst burst(pfx, options());
    burst.start();
    int restartAt = uniform(0, burst_ * 6 / 10);
    waitUntil([&] { return burst.started() >= restartAt; }, 120s);
    ASSERT_EQ(run({services, "restart-" + service}).status, 0);
    burst.join();
    f.containers += burst.started();
    endRound(f, d, burst, pfx, nsFdsBefore);
  }
  stopAndCount(d, f);
  record(f);
  expectClean(f);
}

TEST_F(Reliability, DockerdRestartedDuringBursts) {
  restartedDuringBursts("docker", config(), figures("dockerd restarted during a burst", rounds_));
}

// Docker's own containerd goes away under dockerd and netvrfd's containerd watcher at once.
TEST_F(Reliability, ContainerdRestartedDuringBursts) {
  nlohmann::json c = nlohmann::json::parse(config());
  c["containerd"]["enabled"] = true;
  restartedDuringBursts("containerd", c.dump(),
                        figures("containerd restarted during a burst", rounds_));
}

// `ip netns add` and `ip netns del` on the same directory while netvrfd registers: some names
// are taken by ip just before the container of that name starts, some foreign entries are
// deleted while their container runs. netvrfd must use the fallback name, and never remove or
// replace an entry it did not make.
TEST_F(Reliability, IpNetnsAtTheSameTime) {
  Figures f = figures("ip netns add/del at the same time", rounds_);
  Netvrfd d(config());
  ASSERT_TRUE(d.startReady()) << d.log();
  int nsFdsBefore = namespaceFds(d.pid());
  for (int round = 0; round < rounds_; ++round) {
    std::string pfx = prefix("f" + std::to_string(round));
    Burst burst(pfx, options());
    std::map<std::string, std::optional<NsIdentity>> foreign;  // made by ip, still there
    std::mutex mutex;
    std::atomic<bool> done{false};
    std::thread ip([&] {
      std::mt19937 rng(unsigned(round) + 7);
      while (!done) {
        int n = burst.started() + std::uniform_int_distribution<int>(0, 6)(rng);
        std::string name = n % 5 == 0 ? pfx + "x" + std::to_string(n) : Burst::nameOf(pfx, n);
        if (run({"ip", "netns", "add", name}).status == 0) {
          std::lock_guard lock(mutex);
          foreign[name] = entryNs(name);
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(50 + rng() % 100));
        std::string victim;
        {
          std::lock_guard lock(mutex);
          if (foreign.size() > 4) victim = foreign.begin()->first;
        }
        if (!victim.empty() && run({"ip", "netns", "del", victim}).status == 0) {
          std::lock_guard lock(mutex);
          foreign.erase(victim);
        }
      }
    });
    burst.start();
    burst.join();
    done = true;
    ip.join();
    f.containers += burst.started();
    std::set<std::string> names;
    for (const auto& [name, ns] : foreign) {
      names.insert(name);
      if (!ns || entryNs(name) != ns) {
        ++f.foreign;
        ADD_FAILURE() << "foreign entry " << name << " was removed or replaced\n" << d.log();
      }
    }
    endRound(f, d, burst, pfx, nsFdsBefore, names);
    for (const auto& name : names) run({"ip", "netns", "del", name});
  }
  stopAndCount(d, f);
  record(f);
  expectClean(f);
}

// Half the containers exit at once (often before netvrfd has inspected them), while a process
// in a namespace of its own forks as fast as it can, so PIDs move on quickly. An entry must never
// hold the host's namespace or the forker's: that would be a reused PID's.
TEST_F(Reliability, ContainersThatDieAtOnceWhilePidsCycle) {
  Figures f = figures("instant exits while PIDs cycle", rounds_);
  auto hostNs = nsIdentityOfPath("/proc/self/ns/net");  // this test runs in the host's
  // The forker: a namespace of its own, then fork and reap as fast as it can; the count is
  // shared with this process.
  auto* forks = static_cast<std::atomic<long>*>(
      mmap(nullptr, sizeof(std::atomic<long>), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS,
           -1, 0));
  ASSERT_NE(forks, MAP_FAILED);
  new (forks) std::atomic<long>(0);
  pid_t forker = fork();
  if (forker == 0) {
    if (unshare(CLONE_NEWNET) != 0) _exit(1);
    for (;;) {
      pid_t p = vfork();  // no page tables to copy: far more PIDs a second than fork()
      if (p == 0) _exit(0);
      if (p > 0) waitpid(p, nullptr, 0);
      forks->fetch_add(1, std::memory_order_relaxed);
    }
  }
  std::optional<NsIdentity> forkerNs;
  waitUntil([&] {
    forkerNs = nsIdentityOfPath("/proc/" + std::to_string(forker) + "/ns/net");
    return forkerNs && forkerNs != hostNs;
  });
  auto t0 = std::chrono::steady_clock::now();

  Netvrfd d(config());
  ASSERT_TRUE(d.startReady()) << d.log();
  int nsFdsBefore = namespaceFds(d.pid());
  long pidMax = 0;
  std::ifstream("/proc/sys/kernel/pid_max") >> pidMax;
  ASSERT_GT(pidMax, 0);
  // The rounds asked for, and more (ten at most) until the PID space has wrapped at least
  // once while containers were dying: without a wrap the scenario proves nothing.
  for (int round = 0; round < rounds_ || (forks->load() < pidMax && round < rounds_ + 10);
       ++round) {
    std::string pfx = prefix("p" + std::to_string(round));
    Burst::Options o = options();
    o.command = [](int n) {
      return n % 2 ? std::vector<std::string>{"true"} : std::vector<std::string>{"sleep", "1"};
    };
    Burst burst(pfx, o);
    std::atomic<bool> done{false};
    std::set<std::string> wrongNames;
    std::thread watch([&] {
      while (!done) {
        for (const auto& [name, ns] : entriesWithPrefix(pfx))
          if (ns && (ns == hostNs || ns == forkerNs)) wrongNames.insert(name);
        std::this_thread::sleep_for(5ms);
      }
    });
    burst.start();
    burst.join();
    done = true;
    watch.join();
    f.containers += burst.started();
    f.wrong += int(wrongNames.size());
    for (const auto& n : wrongNames) ADD_FAILURE() << "entry " << n << " held a wrong namespace";
    endRound(f, d, burst, pfx, nsFdsBefore);
  }
  double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  long forked = forks->load();
  kill(forker, SIGKILL);
  waitpid(forker, nullptr, 0);
  stopAndCount(d, f);
  long max = pidMax;
  std::ostringstream note;
  note << forked << " PIDs used up in " << int(seconds) << " s by the forker ("
       << int(double(forked) / std::max(seconds, 1.0)) << "/s), pid_max " << max << ": ";
  if (forked >= max)
    note << "the PID space wrapped " << forked / max << " times";
  else
    note << "no wrap, PID reuse not provoked";
  f.note = note.str();
  record(f);
  expectClean(f);
  EXPECT_GE(forked, max) << f.note;
}

// The bus daemon stopped under a running netvrfd and started again, a few times, with a
// container started while it is away (the first time, netvrfd starts before there is a bus at
// all): netvrfd registers meanwhile, owns org.netvrf1 again on the new bus, and lists there
// every container it follows.
TEST_F(Reliability, BusRestartedUnderNetvrfd) {
  Figures f = figures("bus daemon restarted", rounds_);
  SystemBus bus;
  bus.stop();
  Netvrfd d(config(), {bus.env()});
  ASSERT_TRUE(d.startReady()) << d.log();
  std::string pfx = prefix("b");
  int nsFdsBefore = namespaceFds(d.pid());
  std::set<std::string> names;
  auto unlisted = [&] {
    std::set<std::string> missing = names;
    Result r = netvrfctl(bus, {"--json", "list"});
    auto j = nlohmann::json::parse(r.out, nullptr, false);
    if (r.status == 0 && j.is_array())
      for (const auto& c : j) missing.erase(c.value("name", ""));
    return missing;
  };
  for (int round = 0; round < rounds_; ++round) {
    if (round > 0) bus.stop();
    std::string name = pfx + std::to_string(round);
    docker_.runDetached(name, {"--network", "none"});
    ++f.containers;
    names.insert(name);
    if (!waitUntil([&] { return entryNs(name) && entryNs(name) == docker_.ns(name); }, 30s)) {
      ++f.lost;
      ADD_FAILURE() << name << " not registered while the bus was away\n" << d.log();
    }
    bus.start();
    // The longest wait between attempts is 30 s.
    if (!waitUntil([&] { return unlisted().empty(); }, 45s)) {
      f.lost += int(unlisted().size());
      ADD_FAILURE() << "not listed on the new bus: " << *unlisted().begin() << "\n" << d.log();
    }
  }
  EXPECT_NE(d.log().find("D-Bus: lost the bus"), std::string::npos) << d.log();
  addConsistency(f, settle(docker_, pfx, stateDir(), {}, 30s), d);
  for (const auto& name : names) docker_.remove(name);
  countLeftovers(f, pfx, d.pid(), nsFdsBefore, {});
  stopAndCount(d, f);
  record(f);
  expectClean(f);
}

// The state directory full, then read-only: a container that starts meanwhile is reported with
// the cause, nothing is mounted without its ownership record, and it is registered as soon as
// the directory takes writes again.
TEST_F(Reliability, AFullOrReadOnlyStateDirectoryDelaysButLosesNothing) {
  Figures f = figures("state directory full, then read-only", 1);
  std::string st = stateDir();
  std::filesystem::create_directories(st);
  ASSERT_EQ(run({"mount", "-t", "tmpfs", "-o", "size=256k", "tmpfs", st}).status, 0);
  struct Unmount {
    std::string path;
    ~Unmount() { run({"umount", "-l", path}); }
  } unmount{st};
  Netvrfd d(config());
  ASSERT_TRUE(d.startReady()) << d.log();
  std::string pfx = prefix("s");
  int nsFdsBefore = namespaceFds(d.pid());
  auto refusedThenRegistered = [&](const std::string& name, const std::string& cause,
                                   const std::vector<std::string>& allowWrites) {
    docker_.runDetached(name, {"--network", "none"});
    ++f.containers;
    EXPECT_TRUE(waitUntil([&] {
      std::string log = d.log();
      return log.find(name) != std::string::npos && log.find(cause) != std::string::npos;
    })) << d.log();
    if (entryExists(name) || isMounted(netnsPath(name))) ++f.wrong;  // a mount with no record
    std::this_thread::sleep_for(2s);  // a few retries while it still fails
    ASSERT_EQ(run(allowWrites).status, 0);
    if (!waitUntil([&] { return entryNs(name) == docker_.ns(name); }, 40s)) {
      ++f.lost;
      ADD_FAILURE() << name << " not registered once writes worked again\n" << d.log();
    }
  };
  // cat stops at ENOSPC.
  run({"sh", "-c", "cat /dev/zero >" + st + "/fill"});
  refusedThenRegistered(pfx + "full", "No space left on device", {"rm", st + "/fill"});
  ASSERT_EQ(run({"mount", "-o", "remount,ro", st}).status, 0);
  refusedThenRegistered(pfx + "ro", "Read-only file system", {"mount", "-o", "remount,rw", st});
  addConsistency(f, settle(docker_, pfx, stateDir(), {}, 30s), d);
  docker_.remove(pfx + "full");
  docker_.remove(pfx + "ro");
  countLeftovers(f, pfx, d.pid(), nsFdsBefore, {});
  stopAndCount(d, f);
  record(f);
  expectClean(f);
}

// Thousands of start/stop cycles of a few containers: netvrfd's descriptors, the mounts, its
// D-Bus objects and its memory are the same at the end as after a warm-up.
TEST_F(Reliability, StartStopChurnLeavesNothingBehind) {
  int cycles = sizeOf("NETVRF_RELIABILITY_CYCLES", 60);
  const int containers = 3;
  // Memory is a figure here: the netvrfd under test is one built without sanitizers.
  NETVRF_REQUIRE(missingPlainNetvrfd());
  Figures f = figures("start/stop churn", 1);
  SystemBus bus;
  Netvrfd d(config(), {bus.env()});
  d.setBinary(plainNetvrfd());
  ASSERT_TRUE(d.startReady()) << d.log();
  std::string pfx = prefix("c");
  std::vector<std::string> names;
  for (int i = 0; i < containers; ++i) {
    names.push_back(pfx + std::to_string(i));
    ASSERT_EQ(docker_.cli({"create", "--name", names.back(), "--network", "none", testImage()})
                  .status,
              0);
  }
  auto containerObjects = [&] {
    Result r = run({"env", bus.env(), "busctl", "--system", "--json=short", "call", "org.netvrf1",
                    "/org/netvrf1", "org.freedesktop.DBus.ObjectManager", "GetManagedObjects"});
    if (r.status != 0) return -1;
    int n = 0;
    auto j = nlohmann::json::parse(r.out, nullptr, false);
    if (j.is_discarded()) return -1;
    for (const auto& [path, ifaces] : j["data"][0].items())
      n += path.starts_with("/org/netvrf1/container/");
    return n;
  };
  std::atomic<int> done{0};
  auto churn = [&](int count) {
    std::vector<std::thread> threads;
    for (const auto& name : names)
      threads.emplace_back([&, name] {
        Docker docker;
        for (int i = 0; i < count; ++i) {
          docker.cli({"start", name});
          docker.cli({"stop", "-t", "0", name});
          if (++done % 500 == 0) std::cout << "  " << done << " cycles\n" << std::flush;
        }
      });
    for (auto& t : threads) t.join();
  };
  auto quiet = [&] {
    return waitUntil([&] { return entriesWithPrefix(pfx).empty(); }, 20s);
  };
  churn(10);  // warm-up: first connections, allocator pools
  ASSERT_TRUE(quiet()) << d.log();
  int fds0 = openFds(d.pid()), objects0 = containerObjects(), mounts0 = mountsWithPrefix(pfx);
  long rss0 = rssKb(d.pid());
  churn(std::max(1, cycles / containers));
  f.containers = done;
  EXPECT_TRUE(quiet()) << d.log();
  int fds1 = openFds(d.pid()), objects1 = containerObjects(), mounts1 = mountsWithPrefix(pfx);
  long rss1 = rssKb(d.pid());
  f.leakedFds = std::max(0, fds1 - fds0);
  f.leakedMounts = std::max(0, mounts1 - mounts0);
  f.stale = int(entriesWithPrefix(pfx).size()) + std::max(0, objects1 - objects0);
  std::ostringstream note;
  note << done << " cycles: fds " << fds0 << " -> " << fds1 << ", mounts " << mounts0 << " -> "
       << mounts1 << ", container objects " << objects0 << " -> " << objects1 << ", RSS "
       << rss0 << " -> " << rss1 << " kB";
  f.note = note.str();
  std::cout << f.note << "\n";
  for (const auto& name : names) docker_.cli({"rm", "-f", name});
  // A count that failed is not a count of zero.
  EXPECT_GE(objects0, 0) << "GetManagedObjects failed before the churn";
  EXPECT_GE(objects1, 0) << "GetManagedObjects failed after the churn";
  ASSERT_GT(rss0, 0) << "no VmRSS for netvrfd";
  // Without sanitizers, memory must not grow with the cycles.
  EXPECT_LT(rss1 - rss0, std::max(2048L, rss0 / 10)) << f.note;
  stopAndCount(d, f);
  record(f);
  expectClean(f);
}

}  // namespace
}  // namespace netvrf::test
