// netvrfd against a real dockerd: every running container appears in `ip netns`, race-free,
// and disappears when it dies. Needs root and the test dockerd (scripts/test starts it).
#include <gtest/gtest.h>
#include <signal.h>

#include <atomic>
#include <deque>
#include <filesystem>
#include <set>
#include <thread>

#include "harness.hpp"
#include "netns/ownership.hpp"

namespace netvrf::test {
namespace {

using namespace std::chrono_literals;

class DockerNetns : public ::testing::Test {
 protected:
  void SetUp() override { NETVRF_REQUIRE(missingDocker()); }

  // Waits until `name`'s entry holds the container's current namespace.
  bool waitRegistered(const std::string& entry, const std::string& container) {
    return waitUntil([&] {
      auto want = docker_.ns(container);
      return want && entryNs(entry) == want;
    });
  }

  // Waits until `entry` is no longer in the netns directory.
  static bool waitGone(const std::string& entry, std::chrono::milliseconds timeout = 5s) {
    return waitUntil([&] { return !entryExists(entry); }, timeout);
  }

  // Whether one line of `log` holds both `a` and `b`, in that order.
  static bool hasLine(const std::string& log, const std::string& a, const std::string& b) {
    for (auto p = log.find(a); p != std::string::npos; p = log.find(a, p + 1)) {
      auto end = log.find('\n', p);
      if (log.substr(p, end == std::string::npos ? end : end - p).find(b) != std::string::npos)
        return true;
    }
    return false;
  }

  Docker docker_;
};

TEST_F(DockerNetns, RunningContainerAppearsInIpNetnsWithItsInterfaces) {
  Netvrfd d;
  ASSERT_TRUE(d.startReady()) << d.log();
  std::string name = docker_.uniqueName("web");
  docker_.runDetached(name);
  ASSERT_TRUE(waitRegistered(name, name)) << d.log();
  EXPECT_TRUE(ipNetnsLists(name));
  // The namespace is the container's own: same inode as Docker's SandboxKey.
  EXPECT_EQ(entryNs(name),
            nsIdentityOfPath(docker_.inspect(name, "{{.NetworkSettings.SandboxKey}}")));
  Result link = run({"ip", "netns", "exec", name, "ip", "-o", "link", "show"});
  EXPECT_EQ(link.status, 0) << link.out;
  EXPECT_NE(link.out.find("eth0@"), std::string::npos) << link.out;
  Result addr = run({"ip", "-n", name, "-4", "-o", "addr", "show", "dev", "eth0"});
  EXPECT_NE(addr.out.find("198.51.100."), std::string::npos) << addr.out;
}

TEST_F(DockerNetns, RemovedContainerLeavesNoEntryAndNoMount) {
  Netvrfd d;
  ASSERT_TRUE(d.startReady()) << d.log();
  std::string name = docker_.uniqueName("gone");
  docker_.runDetached(name);
  ASSERT_TRUE(waitRegistered(name, name)) << d.log();
  EXPECT_TRUE(isMounted(netnsPath(name)));
  docker_.remove(name);
  EXPECT_TRUE(waitGone(name)) << d.log();
  EXPECT_FALSE(isMounted(netnsPath(name)));
  EXPECT_FALSE(ipNetnsLists(name));
  EXPECT_FALSE(std::filesystem::exists(d.stateDir() + "/netns/" + name + ".json"));
}

// How fast is a figure for a benchmark, not a deadline here (1 s was tight under ASan on two
// cores); whichever of the pidfd and Docker's die event comes first ends the entry.
TEST_F(DockerNetns, StoppedContainerIsUnregistered) {
  Netvrfd d;
  ASSERT_TRUE(d.startReady()) << d.log();
  std::string name = docker_.uniqueName("stop");
  docker_.runDetached(name);
  ASSERT_TRUE(waitRegistered(name, name)) << d.log();
  ASSERT_EQ(docker_.cli({"stop", "-t", "0", name}).status, 0);
  EXPECT_TRUE(waitGone(name)) << d.log();
  EXPECT_FALSE(isMounted(netnsPath(name)));
}

TEST_F(DockerNetns, RestartPolicyGivesTheNewNamespaceUnderTheSameName) {
  Netvrfd d;
  ASSERT_TRUE(d.startReady()) << d.log();
  std::string name = docker_.uniqueName("restart");
  docker_.runDetached(name, {"--restart", "always"}, {"sh", "-c", "sleep 1; exit 3"});
  ASSERT_TRUE(waitRegistered(name, name)) << d.log();
  pid_t first = docker_.pid(name);
  // The kernel may give the new namespace the old one's inode number once that is freed, so
  // the new instance is told apart by its process: the entry must be re-registered for it.
  OwnershipStore store(d.stateDir());
  ASSERT_TRUE(waitUntil(
      [&] {
        pid_t now = docker_.pid(name);
        auto rec = store.find(name);
        return now > 0 && now != first && rec && rec->pid == now &&
               entryNs(name) == nsIdentityOfPath("/proc/" + std::to_string(now) + "/ns/net");
      },
      15s))
      << d.log();
  EXPECT_TRUE(ipNetnsLists(name));
}

TEST_F(DockerNetns, ContainerModeIsAnotherNameForTheSameNamespaceAndNoneRegisters) {
  Netvrfd d;
  ASSERT_TRUE(d.startReady()) << d.log();
  std::string base = docker_.uniqueName("base");
  std::string joined = docker_.uniqueName("joined");
  std::string isolated = docker_.uniqueName("none");
  docker_.runDetached(base);
  docker_.runDetached(joined, {"--network", "container:" + base});
  docker_.runDetached(isolated, {"--network", "none"});
  ASSERT_TRUE(waitRegistered(base, base)) << d.log();
  ASSERT_TRUE(waitRegistered(joined, joined)) << d.log();
  ASSERT_TRUE(waitRegistered(isolated, isolated)) << d.log();
  EXPECT_EQ(entryNs(joined), entryNs(base));
  Result links = run({"ip", "-n", isolated, "-o", "link", "show"});
  EXPECT_EQ(links.status, 0);
  EXPECT_EQ(links.out.find("eth0"), std::string::npos) << links.out;  // only lo
  // Removing the joined container removes only its own name.
  docker_.remove(joined);
  EXPECT_TRUE(waitGone(joined));
  EXPECT_TRUE(entryExists(base));
}

TEST_F(DockerNetns, TheUnitsCapabilitiesAreEnoughAlsoForAnotherUsersContainer) {
  // Exactly systemd/netvrfd.service's CapabilityBoundingSet=. Without CAP_KILL, the PID-reuse
  // check gets EPERM for a process of another user, which must still read as alive.
  Netvrfd d;
  d.setWrapper({"setpriv", "--bounding-set=-all,+sys_admin,+net_admin,+sys_ptrace", "--"});
  ASSERT_TRUE(d.startReady()) << d.log();
  std::string name = docker_.uniqueName("user");
  docker_.runDetached(name, {"--user", "1000:1000"});
  ASSERT_TRUE(waitRegistered(name, name)) << d.log();
  docker_.remove(name);
  EXPECT_TRUE(waitGone(name)) << d.log();
}

TEST_F(DockerNetns, RenamedContainerMovesToItsNewName) {
  Netvrfd d;
  ASSERT_TRUE(d.startReady()) << d.log();
  std::string before = docker_.uniqueName("old");
  std::string after = docker_.uniqueName("new");
  docker_.runDetached(before);
  ASSERT_TRUE(waitRegistered(before, before)) << d.log();
  auto ns = entryNs(before);
  ASSERT_EQ(docker_.cli({"rename", before, after}).status, 0);
  EXPECT_TRUE(waitUntil([&] { return entryNs(after) == ns && !entryExists(before); }, 5s))
      << d.log();
  docker_.remove(after);
  EXPECT_TRUE(waitGone(after)) << d.log();
}

TEST_F(DockerNetns, HostNetworkContainersAreNotRegistered) {
  Netvrfd d;
  ASSERT_TRUE(d.startReady()) << d.log();
  std::string host = docker_.uniqueName("host");
  std::string marker = docker_.uniqueName("marker");
  docker_.runDetached(host, {"--network", "host"});
  docker_.runDetached(marker);  // handled after `host`: once it is there, `host` was decided
  ASSERT_TRUE(waitRegistered(marker, marker)) << d.log();
  EXPECT_FALSE(entryExists(host));
  EXPECT_NE(d.log().find(host), std::string::npos) << d.log();
  EXPECT_NE(d.log().find("uses the host's namespace"), std::string::npos) << d.log();
}

TEST_F(DockerNetns, ContainersRunningBeforeStartAreRegisteredBeforeReady) {
  std::string name = docker_.uniqueName("early");
  docker_.runDetached(name);
  Netvrfd d;
  ASSERT_TRUE(d.startReady()) << d.log();
  // READY=1 comes after the initial sync: no waiting needed.
  EXPECT_EQ(entryNs(name), docker_.ns(name)) << d.log();
}

TEST_F(DockerNetns, StoppingLeavesEntriesAndTheNextDaemonAdoptsThem) {
  std::string name = docker_.uniqueName("kept");
  std::string saved = "/tmp/" + name + ".state";
  {
    Netvrfd first(R"({"cleanup_on_exit": false})");
    ASSERT_TRUE(first.startReady()) << first.log();
    docker_.runDetached(name);
    ASSERT_TRUE(waitRegistered(name, name)) << first.log();
    first.signal(SIGTERM);
    ASSERT_EQ(first.wait(), 0);
    EXPECT_EQ(entryNs(name), docker_.ns(name)) << "a stopped netvrfd keeps registrations";
    std::filesystem::copy(first.stateDir(), saved, std::filesystem::copy_options::recursive);
  }
  // The first daemon's directory is gone with it; hand its records to the next one.
  Netvrfd second;
  std::filesystem::remove_all(second.stateDir());
  std::filesystem::rename(saved, second.stateDir());
  ASSERT_TRUE(second.startReady()) << second.log();
  EXPECT_NE(second.log().find("kept /var/run/netns/" + name + " from before"), std::string::npos)
      << second.log();
  docker_.remove(name);
  EXPECT_TRUE(waitGone(name)) << second.log();
}

TEST_F(DockerNetns, ForeignEntryWithTheSameNameIsLeftAloneAndAFallbackIsUsed) {
  std::string name = docker_.uniqueName("taken");
  ASSERT_EQ(run({"ip", "netns", "add", name}).status, 0);
  auto foreign = entryNs(name);
  ASSERT_TRUE(foreign);
  Netvrfd d;
  ASSERT_TRUE(d.startReady()) << d.log();
  std::string id = docker_.runDetached(name);
  std::string fallback = name + "-" + id.substr(0, 12);
  EXPECT_TRUE(waitRegistered(fallback, name)) << d.log();
  EXPECT_EQ(entryNs(name), foreign);
  EXPECT_NE(d.log().find("'" + name + "' is taken by an entry netvrfd did not create"),
            std::string::npos)
      << d.log();
  docker_.remove(name);
  EXPECT_TRUE(waitGone(fallback)) << d.log();
  EXPECT_EQ(entryNs(name), foreign);  // never touched
  EXPECT_EQ(run({"ip", "netns", "del", name}).status, 0);
}

TEST_F(DockerNetns, WithoutFallbackATakenNameIsSkippedAndReported) {
  std::string name = docker_.uniqueName("skip");
  ASSERT_EQ(run({"ip", "netns", "add", name}).status, 0);
  auto foreign = entryNs(name);
  Netvrfd d(R"({"fallback_template": ""})");
  ASSERT_TRUE(d.startReady()) << d.log();
  std::string id = docker_.runDetached(name);
  std::string said = "container " + name + " (docker " + id.substr(0, 12) + "): not registered: '" +
                     name + "' is taken by an entry netvrfd did not create";
  EXPECT_TRUE(waitUntil([&] { return d.log().find(said) != std::string::npos; })) << d.log();
  // No entry under any other name for it: not the fallback, nothing pointing at its namespace.
  EXPECT_FALSE(entryExists(name + "-" + id.substr(0, 12)));
  auto ns = docker_.ns(name);
  ASSERT_TRUE(ns);
  for (const auto& e : std::filesystem::directory_iterator("/var/run/netns"))
    EXPECT_NE(entryNs(e.path().filename().string()), ns) << e.path();
  EXPECT_EQ(entryNs(name), foreign);
  EXPECT_EQ(run({"ip", "netns", "del", name}).status, 0);
}

TEST_F(DockerNetns, UnusableNameIsReportedWithTheContainerIdAndNeverMounted) {
  // 4 x 64 + 1 = 257 bytes: over iproute2's limit.
  Netvrfd d(R"({"name_template": "{id}{id}{id}{id}x", "fallback_template": ""})");
  ASSERT_TRUE(d.startReady()) << d.log();
  std::string name = docker_.uniqueName("long");
  std::string id = docker_.runDetached(name);
  ASSERT_TRUE(waitUntil([&] { return d.log().find("257 bytes long") != std::string::npos; }))
      << d.log();
  EXPECT_NE(d.log().find(id.substr(0, 12)), std::string::npos) << d.log();
  for (const auto& e : std::filesystem::directory_iterator("/var/run/netns"))
    EXPECT_EQ(e.path().filename().string().find(id), std::string::npos);
}

TEST_F(DockerNetns, EventsResumeAfterDockerdRestarts) {
  const char* services = std::getenv("NETVRF_TEST_SERVICES");
  NETVRF_REQUIRE(services
                     ? std::nullopt
                     : std::optional<std::string>("needs NETVRF_TEST_SERVICES to restart dockerd"));
  Netvrfd d;
  ASSERT_TRUE(d.startReady()) << d.log();
  std::string before = docker_.uniqueName("before");
  docker_.runDetached(before);
  ASSERT_TRUE(waitRegistered(before, before)) << d.log();

  ASSERT_EQ(run({services, "restart-docker"}).status, 0);
  // Started at once, likely before netvrfd has reconnected: the replay or re-list finds it.
  std::string after = docker_.uniqueName("after");
  docker_.runDetached(after);
  EXPECT_TRUE(waitRegistered(after, after)) << d.log();
  EXPECT_EQ(entryNs(before), docker_.ns(before)) << "live-restore kept it running";
  docker_.remove(before);
  EXPECT_TRUE(waitGone(before)) << d.log();
  EXPECT_NE(d.log().find("docker: not reachable"), std::string::npos) << d.log();
}

TEST_F(DockerNetns, KilledDaemonRecoversWithNoStaleAndNoMissingEntries) {
  auto d = std::make_unique<Netvrfd>();
  std::string stateDir = d->stateDir();
  ASSERT_TRUE(d->startReady()) << d->log();

  // Churn: containers come and go while netvrfd is killed and comes back.
  std::atomic<bool> stop{false};
  std::atomic<size_t> aliveCount{0};
  Docker churner;
  std::thread churn([&] {
    std::deque<std::string> alive;
    for (int round = 0; !stop; ++round) {
      if (round % 3 == 2) {
        churner.cli({"rm", "-f", alive.front()});
        alive.pop_front();
      } else {
        alive.push_back(churner.uniqueName("churn"));
        churner.runDetached(alive.back());
      }
      aliveCount = alive.size();
    }
  });
  // Killed in the middle of it, with a few running (how fast that is depends on the machine's
  // load, so not a fixed time: a slow dockerd once had started only one).
  if (!waitUntil([&] { return aliveCount >= 4; }, 60s)) {
    stop = true;
    churn.join();
    FAIL() << "the churn does not get going";
  }
  d->signal(SIGKILL);
  d->wait();
  std::this_thread::sleep_for(1500ms);
  // Half of the running containers die while netvrfd is down.
  Result ps =
      docker_.cli({"ps", "-q", "--filter", "name=nvt" + std::to_string(getpid()) + "-churn"});
  stop = true;
  churn.join();
  std::istringstream ids(ps.out);
  int i = 0;
  for (std::string id; std::getline(ids, id); ++i)
    if (i % 2 == 0) docker_.cli({"rm", "-f", id});

  // A second netvrfd with the same state directory.
  Netvrfd again(R"({"state_dir": ")" + stateDir + R"("})");
  ASSERT_TRUE(again.startReady()) << again.log();

  std::set<std::string> running;
  Result now = docker_.cli({"ps", "--format", "{{.Names}}", "--filter",
                            "name=nvt" + std::to_string(getpid()) + "-churn"});
  std::istringstream lines(now.out);
  for (std::string n; std::getline(lines, n);) running.insert(n);
  EXPECT_GT(running.size(), 0u);
  for (const auto& n : running) EXPECT_EQ(entryNs(n), docker_.ns(n)) << n << "\n" << again.log();
  std::string prefix = "nvt" + std::to_string(getpid()) + "-churn";
  for (const auto& e : std::filesystem::directory_iterator("/var/run/netns")) {
    auto n = e.path().filename().string();
    if (n.starts_with(prefix)) {
      EXPECT_TRUE(running.count(n)) << "stale entry " << n << "\n" << again.log();
    }
  }
  OwnershipStore store(stateDir);
  for (const auto& rec : store.loadAll()) EXPECT_TRUE(running.count(rec.entry)) << rec.entry;
  // Every churn container goes: nothing may remain mounted.
  for (const auto& n : running) docker_.cli({"rm", "-f", n});
  EXPECT_TRUE(waitUntil([&] {
    for (const auto& n : running)
      if (entryExists(n) || isMounted(netnsPath(n))) return false;
    return true;
  })) << again.log();
}

// dockerd runs its containers through containerd (namespace moby): netvrfd registers them from
// containerd's task start, proven by the process's cgroup, without waiting for dockerd's start
// event and inspection, which are then only the check.
TEST_F(DockerNetns, RegisteredFromContainerdsTaskStartWithoutWaitingForDockerd) {
  Netvrfd d(R"({"log_level": "debug"})");
  ASSERT_TRUE(d.startReady()) << d.log();
  int presentAtReturn = 0;
  constexpr int kRuns = 5;
  std::vector<std::string> names;
  for (int i = 0; i < kRuns; ++i) {
    names.push_back(docker_.uniqueName("task" + std::to_string(i)));
    docker_.runDetached(names.back());
    presentAtReturn += entryExists(names.back());
  }
  for (const auto& name : names) {
    ASSERT_TRUE(waitRegistered(name, name)) << d.log();
    // Docker's own view agrees: the entry is its SandboxKey's namespace.
    EXPECT_EQ(entryNs(name),
              nsIdentityOfPath(docker_.inspect(name, "{{.NetworkSettings.SandboxKey}}")));
    EXPECT_TRUE(waitUntil([&] {
      return hasLine(d.log(), "container " + name + " (docker ", "without waiting for dockerd");
    })) << name
        << "\n"
        << d.log();
  }
  std::printf("entries present when docker run -d returned: %d of %d\n", presentAtReturn, kRuns);
  // The start event's inspection that follows keeps the entry as it is.
  EXPECT_EQ(d.log().find("renamed"), std::string::npos) << d.log();
  EXPECT_EQ(d.log().find("has a new namespace"), std::string::npos) << d.log();
  for (const auto& name : names) docker_.remove(name);
  for (const auto& name : names) EXPECT_TRUE(waitGone(name)) << d.log();
}

// Without containerd (another one than dockerd's, or none), dockerd's start event registers.
TEST_F(DockerNetns, WithoutContainerdDockersStartEventRegisters) {
  Netvrfd d(R"({"log_level": "debug", "containerd": {"enabled": false}})");
  ASSERT_TRUE(d.startReady()) << d.log();
  std::string name = docker_.uniqueName("noctrd");
  docker_.runDetached(name);
  ASSERT_TRUE(waitRegistered(name, name)) << d.log();
  EXPECT_EQ(d.log().find("without waiting for dockerd"), std::string::npos) << d.log();
}

}  // namespace
}  // namespace netvrf::test
