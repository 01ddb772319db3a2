// Podman containers in `ip netns`, through Podman's Docker-compatible service (the test one,
// scripts/test-services) driven by `podman --remote`: the Docker watcher on another endpoint.
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <thread>

#include "harness.hpp"

namespace netvrf::test {
namespace {

using namespace std::chrono_literals;

class Podman : public ::testing::Test {
 protected:
  void SetUp() override { NETVRF_REQUIRE(missingPodman()); }

  // A netvrfd that watches only the test Podman service.
  static std::string onlyPodman() {
    return R"({"docker": {"enabled": false}, "containerd": {"enabled": false}})";
  }
  std::optional<NsIdentity> containerNs(const std::string& name) {
    pid_t pid = podman_.pid(name);
    return pid > 0 ? nsIdentityOfPath("/proc/" + std::to_string(pid) + "/ns/net") : std::nullopt;
  }
  // Podman's own entries (netns-<uuid>) and what they hold.
  static std::map<std::string, std::optional<NsIdentity>> podmanEntries() {
    std::map<std::string, std::optional<NsIdentity>> out;
    for (const auto& e : std::filesystem::directory_iterator("/var/run/netns")) {
      std::string name = e.path().filename().string();
      if (name.starts_with("netns-")) out[name] = entryNs(name);
    }
    return out;
  }

  Docker podman_ = Docker::podman();
};

TEST_F(Podman, ContainerWithoutNetworkIsRegisteredAndGoesWhenRemoved) {
  Netvrfd d(onlyPodman());
  ASSERT_TRUE(d.startReady()) << d.log();
  std::string name = podman_.uniqueName("none");
  std::string id = podman_.runDetached(name, {"--network", "none"});

  // Podman gives such a container no SandboxKey: its namespace is proven through its process.
  ASSERT_TRUE(waitUntil([&] { return ipNetnsLists(name); })) << d.log();
  EXPECT_EQ(entryNs(name), containerNs(name));
  EXPECT_NE(d.log().find("container " + name + " (podman " + id.substr(0, 12)), std::string::npos)
      << d.log();

  podman_.remove(name);
  EXPECT_TRUE(waitUntil([&] { return !entryExists(name); })) << d.log();
  EXPECT_FALSE(isMounted(netnsPath(name)));
}

TEST_F(Podman, StoppedContainerIsUnregisteredAtOnce) {
  Netvrfd d(onlyPodman());
  ASSERT_TRUE(d.startReady()) << d.log();
  std::string name = podman_.uniqueName("stop");
  podman_.runDetached(name, {"--network", "none"});
  ASSERT_TRUE(waitUntil([&] { return ipNetnsLists(name); })) << d.log();
  ASSERT_EQ(podman_.cli({"stop", "-t", "0", name}).status, 0);
  EXPECT_TRUE(waitUntil([&] { return !entryExists(name); }, 5s)) << d.log();
}

// With a network, Podman pins the namespace itself as /var/run/netns/netns-<uuid>: netvrfd adds
// the container's name for the same namespace, and never touches Podman's entry.
TEST_F(Podman, NetworkedContainerGetsItsNameBesidePodmansOwnEntry) {
  auto before = podmanEntries();
  Netvrfd d(onlyPodman());
  ASSERT_TRUE(d.startReady()) << d.log();
  std::string name = podman_.uniqueName("net");
  podman_.runDetached(name, {"--network", "nvtpod"});
  ASSERT_TRUE(waitUntil([&] { return ipNetnsLists(name); })) << d.log();

  auto during = podmanEntries();
  ASSERT_EQ(during.size(), before.size() + 1) << "podman made no netns-* entry";
  std::string podmans;
  for (const auto& [entry, ns] : during)
    if (!before.count(entry)) podmans = entry;
  EXPECT_EQ(entryNs(podmans), entryNs(name));
  EXPECT_EQ(entryNs(name), containerNs(name));
  // An address of nvtpod's 203.0.113.240/28 (host-local hands them out in turn, run after run).
  Result addr = run({"ip", "-n", name, "-4", "-br", "addr", "show", "eth0"});
  size_t at = addr.out.find("203.0.113.");
  int host = at == std::string::npos ? 0 : std::atoi(addr.out.c_str() + at + 10);
  EXPECT_TRUE(host > 240 && host < 255 && addr.out.find("/28", at) != std::string::npos)
      << addr.out;

  podman_.remove(name);
  EXPECT_TRUE(waitUntil([&] { return !entryExists(name); })) << d.log();
  EXPECT_FALSE(entryExists(podmans));  // Podman removed its own entry: nothing held it
  EXPECT_EQ(podmanEntries(), before);
}

TEST_F(Podman, ContainersRunningBeforeStartAreRegisteredBeforeReady) {
  std::string name = podman_.uniqueName("early");
  podman_.runDetached(name, {"--network", "none"});
  Netvrfd d(onlyPodman());
  ASSERT_TRUE(d.startReady()) << d.log();
  EXPECT_TRUE(ipNetnsLists(name)) << d.log();
  EXPECT_EQ(entryNs(name), containerNs(name));
}

// Docker and Podman watched at once, each container once; a name both use is taken by the first
// and the second gets the fallback name.
TEST_F(Podman, DockerAndPodmanAtOnceEachContainerOnce) {
  NETVRF_REQUIRE(missingDocker());
  Docker docker;
  Netvrfd d(R"({"containerd": {"enabled": false}})");
  ASSERT_TRUE(d.startReady()) << d.log();
  std::string fromDocker = docker.uniqueName("dk");
  std::string fromPodman = podman_.uniqueName("pm");
  docker.runDetached(fromDocker, {"--network", "none"});
  podman_.runDetached(fromPodman, {"--network", "none"});
  ASSERT_TRUE(waitUntil([&] { return ipNetnsLists(fromDocker) && ipNetnsLists(fromPodman); }))
      << d.log();
  EXPECT_EQ(entryNs(fromPodman), containerNs(fromPodman));
  EXPECT_EQ(entryNs(fromDocker), docker.ns(fromDocker));

  std::string both = podman_.uniqueName("both");
  docker.runDetached(both, {"--network", "none"});
  ASSERT_TRUE(waitUntil([&] { return ipNetnsLists(both); })) << d.log();
  std::string id = podman_.runDetached(both, {"--network", "none"});
  std::string fallback = both + "-" + id.substr(0, 12);
  ASSERT_TRUE(waitUntil([&] { return ipNetnsLists(fallback); })) << d.log();
  EXPECT_EQ(entryNs(both), docker.ns(both));
  EXPECT_EQ(entryNs(fallback), containerNs(both));
  for (const auto& name : {fromDocker, fromPodman, both, fallback}) {
    int entries = 0;
    auto ns = entryNs(name);
    for (const auto& e : std::filesystem::directory_iterator("/var/run/netns"))
      entries += entryNs(e.path().filename().string()) == ns;
    EXPECT_EQ(entries, 1) << name << "\n" << d.log();
  }
}

TEST_F(Podman, ARestartedPodmanServiceLosesNothingAndLeavesNothingStale) {
  const char* services = std::getenv("NETVRF_TEST_SERVICES");
  NETVRF_REQUIRE(missingTestServices());
  Netvrfd d(onlyPodman());
  ASSERT_TRUE(d.startReady()) << d.log();
  std::string stays = podman_.uniqueName("stays");
  std::string goes = podman_.uniqueName("goes");
  podman_.runDetached(stays, {"--network", "none"});
  podman_.runDetached(goes, {"--network", "none"});
  ASSERT_TRUE(waitUntil([&] { return ipNetnsLists(stays) && ipNetnsLists(goes); })) << d.log();

  ASSERT_EQ(run({services, "restart-podman"}).status, 0);
  podman_.remove(goes);
  std::string late = podman_.uniqueName("late");
  podman_.runDetached(late, {"--network", "none"});
  EXPECT_TRUE(waitUntil([&] { return ipNetnsLists(late); }, 30s)) << d.log();
  EXPECT_TRUE(waitUntil([&] { return !entryExists(goes); })) << d.log();
  EXPECT_EQ(entryNs(stays), containerNs(stays));
}

// Absent for a while, then there (a link to the test Podman service's socket): said once, and
// found by the reconnect attempts that kept going meanwhile.
TEST_F(Podman, APodmanThatIsNotThereIsSaidOnceAndFoundWhenItComes) {
  TempDir dir;
  std::string socket = dir.path() + "/podman.sock";
  Netvrfd d(R"({"docker": {"enabled": false, "endpoints": [{"name": "podman", "socket": ")" +
            socket + R"("}]}, "containerd": {"enabled": false}})");
  ASSERT_TRUE(d.startReady()) << d.log();
  std::this_thread::sleep_for(3s);  // absent through a few reconnect attempts
  std::filesystem::create_symlink(podmanSock(), socket);
  EXPECT_TRUE(
      waitUntil([&] { return d.log().find("podman: connected to") != std::string::npos; }, 20s))
      << d.log();
  std::string log = d.log();
  size_t first = log.find("podman: not reachable");
  EXPECT_NE(first, std::string::npos) << log;
  EXPECT_EQ(log.find("podman: not reachable", first + 1), std::string::npos) << log;
}

}  // namespace
}  // namespace netvrf::test
