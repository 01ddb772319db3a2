// containerd tasks in `ip netns`, with a real containerd (the test one) driven through ctr.
#include <gtest/gtest.h>

#include <filesystem>
#include <thread>

#include "harness.hpp"

namespace netvrf::test {
namespace {

using namespace std::chrono_literals;

class Containerd : public ::testing::Test {
 protected:
  void SetUp() override { NETVRF_REQUIRE(missingContainerd()); }

  // A netvrfd that follows only this test's containerd namespace (and no Docker).
  std::string onlyOurs() {
    return R"({"docker": {"enabled": false}, "containerd": {"namespaces": [")" + ctr_.ns() +
           R"("]}})";
  }
  std::optional<NsIdentity> taskNs(const std::string& id) {
    pid_t pid = ctr_.pid(id);
    return pid ? nsIdentityOfPath("/proc/" + std::to_string(pid) + "/ns/net") : std::nullopt;
  }

  Ctr ctr_;
};

TEST_F(Containerd, TasksAppearUnderTheirNerdctlNameOrIdAndGoWhenTheyExit) {
  Netvrfd d(onlyOurs());
  ASSERT_TRUE(d.startReady()) << d.log();
  std::string named = "nvt" + std::to_string(getpid()) + "-web";
  std::string id = "nvt" + std::to_string(getpid()) + "-c1";
  ctr_.runDetached(id, {"--label", "nerdctl/name=" + named});
  std::string plain = "nvt" + std::to_string(getpid()) + "-c2";
  ctr_.runDetached(plain);

  ASSERT_TRUE(waitUntil([&] { return ipNetnsLists(named) && ipNetnsLists(plain); })) << d.log();
  EXPECT_EQ(entryNs(named), taskNs(id));
  EXPECT_EQ(entryNs(plain), taskNs(plain));
  EXPECT_NE(d.log().find("container " + named + " (containerd:" + ctr_.ns() + " "),
            std::string::npos)
      << d.log();

  ctr_.cli({"task", "kill", "-s", "KILL", id});
  EXPECT_TRUE(waitUntil([&] { return !entryExists(named); })) << d.log();
  EXPECT_FALSE(isMounted(netnsPath(named)));
  EXPECT_TRUE(entryExists(plain));
}

TEST_F(Containerd, TasksRunningBeforeNetvrfdAreFoundAtStart) {
  std::string id = "nvt" + std::to_string(getpid()) + "-early";
  ctr_.runDetached(id);
  Netvrfd d(onlyOurs());
  ASSERT_TRUE(d.startReady()) << d.log();
  EXPECT_TRUE(ipNetnsLists(id)) << d.log();  // ready means the first listing is done
  EXPECT_EQ(entryNs(id), taskNs(id));
}

TEST_F(Containerd, TheVrfLabelIsHonouredAsForDocker) {
  Netvrfd d(onlyOurs());
  ASSERT_TRUE(d.startReady()) << d.log();
  std::string id = "nvt" + std::to_string(getpid()) + "-vrf";
  ctr_.runDetached(id, {"--label", "netvrf.vrf=nvred", "--label", "netvrf.table=1001"});
  ASSERT_TRUE(waitUntil([&] { return ipNetnsLists(id); })) << d.log();
  if (kernelHasVrf()) {
    EXPECT_TRUE(waitUntil([&] {
      return run({"ip", "-n", id, "link", "show", "nvred"}).status == 0;
    })) << d.log();
    EXPECT_TRUE(waitUntil([&] {
      return d.log().find("): attached to VRF nvred (table 1001)") != std::string::npos;
    })) << d.log();
  } else {  // the same one-line refusal a Docker container gets
    EXPECT_TRUE(waitUntil([&] {
      return d.log().find("container " + id + " (containerd:" + ctr_.ns() + " " + id.substr(0, 12) +
                          "): not attached: attach to VRF nvred: create VRF nvred (table 1001) "
                          "failed: VRF nvred: this kernel has no VRF support") !=
             std::string::npos;
    })) << d.log();
  }
}

TEST_F(Containerd, AKubernetesPodIsOneEntryNamedAfterThePod) {
  // As CRI does it: a namespace pinned under cni-<uuid>, a sandbox task in it and an app
  // container joining it, labelled with the pod's name and namespace.
  std::string cni = "cni-nvt" + std::to_string(getpid()) + "-5f1e2d";
  ASSERT_EQ(run({"ip", "netns", "add", cni}).status, 0);
  std::string pod = "web" + std::to_string(getpid());
  auto labels = [&](const char* kind) {
    return std::vector<std::string>{"--with-ns", "network:" + netnsPath(cni),
                                    "--label", std::string("io.cri-containerd.kind=") + kind,
                                    "--label", "io.kubernetes.pod.name=" + pod,
                                    "--label", "io.kubernetes.pod.namespace=shop"};
  };
  Netvrfd d(onlyOurs());
  ASSERT_TRUE(d.startReady()) << d.log();
  std::string sandbox = "nvt" + std::to_string(getpid()) + "-sandbox";
  std::string app = "nvt" + std::to_string(getpid()) + "-app";
  ctr_.runDetached(sandbox, labels("sandbox"));
  ctr_.runDetached(app, labels("container"));

  std::string entry = "shop_" + pod;
  ASSERT_TRUE(waitUntil([&] { return ipNetnsLists(entry); })) << d.log();
  EXPECT_EQ(entryNs(entry), entryNs(cni));
  EXPECT_FALSE(entryExists(sandbox));
  EXPECT_FALSE(entryExists(app));
  int entries = 0;
  for (const auto& e : std::filesystem::directory_iterator("/var/run/netns"))
    entries += entryNs(e.path().filename().string()) == entryNs(cni);
  EXPECT_EQ(entries, 2) << "the pod's and CRI's own";

  ctr_.cli({"task", "kill", "-s", "KILL", app});
  ctr_.cli({"task", "kill", "-s", "KILL", sandbox});
  EXPECT_TRUE(waitUntil([&] { return !entryExists(entry); })) << d.log();
  EXPECT_TRUE(ipNetnsLists(cni)) << "CRI's entry is never netvrfd's to touch";
  run({"ip", "netns", "del", cni});
}

TEST_F(Containerd, DockerAndContainerdAtOnceGiveEachContainerOneEntry) {
  Docker docker;
  Netvrfd d;  // Docker and every containerd namespace: moby is Docker's and is skipped
  ASSERT_TRUE(d.startReady()) << d.log();
  std::string dname = docker.uniqueName("both");
  docker.runDetached(dname);
  std::string cid = "nvt" + std::to_string(getpid()) + "-both";
  ctr_.runDetached(cid);
  ASSERT_TRUE(waitUntil([&] { return ipNetnsLists(dname) && ipNetnsLists(cid); })) << d.log();
  for (const auto& [name, ns] : {std::pair{dname, docker.ns(dname)}, {cid, taskNs(cid)}}) {
    int entries = 0;
    for (const auto& e : std::filesystem::directory_iterator("/var/run/netns"))
      entries += entryNs(e.path().filename().string()) == ns;
    EXPECT_EQ(entries, 1) << name << "\n" << d.log();
  }
  EXPECT_EQ(d.log().find("containerd:moby"), std::string::npos) << d.log();
}

TEST_F(Containerd, ARestartedContainerdLosesNothingAndLeavesNothingStale) {
  const char* services = std::getenv("NETVRF_TEST_SERVICES");
  NETVRF_REQUIRE(missingTestServices());
  Netvrfd d(onlyOurs());
  ASSERT_TRUE(d.startReady()) << d.log();
  std::string stays = "nvt" + std::to_string(getpid()) + "-stays";
  std::string goes = "nvt" + std::to_string(getpid()) + "-goes";
  ctr_.runDetached(stays);
  ctr_.runDetached(goes);
  ASSERT_TRUE(waitUntil([&] { return ipNetnsLists(stays) && ipNetnsLists(goes); })) << d.log();

  ASSERT_EQ(run({services, "restart-containerd"}).status, 0);
  ctr_.cli({"task", "kill", "-s", "KILL", goes});
  std::string late = "nvt" + std::to_string(getpid()) + "-late";
  ctr_.runDetached(late);
  EXPECT_TRUE(waitUntil([&] { return ipNetnsLists(late); }, 30s)) << d.log();
  EXPECT_TRUE(waitUntil([&] { return !entryExists(goes); })) << d.log();
  EXPECT_EQ(entryNs(stays), taskNs(stays));
}

TEST_F(Containerd, AContainerdThatIsNotThereIsSaidOnceAndNetvrfdRuns) {
  Netvrfd d(R"({"docker": {"enabled": false}, "containerd": {"socket": "/nonexistent/c.sock"}})");
  ASSERT_TRUE(d.startReady()) << d.log();
  std::this_thread::sleep_for(3s);  // a few reconnect attempts
  std::string log = d.log();
  size_t first = log.find("containerd: not reachable");
  EXPECT_NE(first, std::string::npos) << log;
  EXPECT_EQ(log.find("containerd: not reachable", first + 1), std::string::npos) << log;
}

}  // namespace
}  // namespace netvrf::test
