// containerd tasks in `ip netns`, with a real containerd (the test one) driven through ctr.
#include <gtest/gtest.h>

#include <filesystem>
#include <nlohmann/json.hpp>
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

// On a kernel without VRF support: the same one-line refusal a Docker container gets.
TEST_F(Containerd, AVrfLabelWithoutKernelSupportIsRefusedInOneLine) {
  NETVRF_REQUIRE(missingVrfFreeKernel());
  Netvrfd d(onlyOurs());
  ASSERT_TRUE(d.startReady()) << d.log();
  std::string id = "nvt" + std::to_string(getpid()) + "-vrf";
  ctr_.runDetached(id, {"--label", "netvrf.vrf=nvred", "--label", "netvrf.table=1001"});
  ASSERT_TRUE(waitUntil([&] { return ipNetnsLists(id); })) << d.log();
  EXPECT_TRUE(waitUntil([&] {
    return d.log().find("container " + id + " (containerd:" + ctr_.ns() + " " + id.substr(0, 12) +
                        "): not attached: attach to VRF nvred: create VRF nvred (table 1001) "
                        "failed: VRF nvred: this kernel has no VRF support") != std::string::npos;
  })) << d.log();
  EXPECT_NE(run({"ip", "-n", id, "link", "show", "nvred"}).status, 0);
}

class ContainerdKernel : public Containerd {
 protected:
  void SetUp() override {
    NETVRF_REQUIRE(missingVrf());
    Containerd::SetUp();
  }
};

// What DockerVrfKernel checks for a labelled Docker container, for a containerd task: its
// interface in the VRF, the VRF's table, the default route moved into it, and traffic. `ctr
// run` gives a task only loopback, so it joins a namespace made here with a veth whose peer
// is in a second namespace (a CNI plugin would do the same).
TEST_F(ContainerdKernel, TheVrfLabelIsHonouredAsForDocker) {
  std::string tag = "nvt" + std::to_string(getpid());
  std::string net = tag + "-ctrnet", peer = tag + "-ctrpeer";
  for (const auto& n : {net, peer}) ASSERT_EQ(run({"ip", "netns", "add", n}).status, 0);
  struct Cleanup {
    std::vector<std::string> names;
    ~Cleanup() {
      for (const auto& n : names) run({"ip", "netns", "del", n});
    }
  } cleanup{{net, peer}};
  for (const auto& cmd : std::vector<std::vector<std::string>>{
           {"ip", "-n", net, "link", "add", "eth0", "type", "veth", "peer", "name", "peer0",
            "netns", peer},
           {"ip", "-n", net, "addr", "add", "203.0.113.202/29", "dev", "eth0"},
           {"ip", "-n", net, "link", "set", "eth0", "up"},
           {"ip", "-n", net, "link", "set", "lo", "up"},
           {"ip", "-n", net, "route", "add", "default", "via", "203.0.113.201"},
           {"ip", "-n", peer, "addr", "add", "203.0.113.201/29", "dev", "peer0"},
           {"ip", "-n", peer, "link", "set", "peer0", "up"}})
    ASSERT_EQ(run(cmd).status, 0) << cmd[3];

  Netvrfd d(onlyOurs());
  ASSERT_TRUE(d.startReady()) << d.log();
  std::string id = tag + "-vrf";
  ctr_.runDetached(id, {"--with-ns", "network:" + netnsPath(net), "--label", "netvrf.vrf=nvred",
                        "--label", "netvrf.table=1001"});
  ASSERT_TRUE(waitUntil([&] { return ipNetnsLists(id); })) << d.log();
  auto ipJson = [&](std::vector<std::string> args) {
    args.insert(args.begin(), {"ip", "-n", id, "-j"});
    return nlohmann::json::parse(run(args).out, nullptr, false);
  };
  ASSERT_TRUE(waitUntil([&] {
    auto l = ipJson({"link", "show", "eth0"});
    return l.is_array() && l.size() == 1 && l[0].value("master", "") == "nvred";
  }, 30s)) << d.log();
  auto vrf = ipJson({"-d", "link", "show", "nvred"});
  ASSERT_TRUE(vrf.is_array() && vrf.size() == 1) << vrf.dump();
  EXPECT_EQ(vrf[0]["linkinfo"]["info_data"]["table"], 1001);
  bool gateway = false;
  for (const auto& r : ipJson({"route", "show", "table", "1001"}))
    gateway |= r.value("dst", "") == "default" && r.value("gateway", "") == "203.0.113.201";
  EXPECT_TRUE(gateway) << run({"ip", "-n", id, "route", "show", "table", "1001"}).out;
  EXPECT_TRUE(ipJson({"route", "show", "default"}).empty());  // out of the main table
  EXPECT_NE(d.log().find("container " + id + " (containerd:" + ctr_.ns() + " " +
                         id.substr(0, 12) + "): attached to VRF nvred (table 1001): eth0"),
            std::string::npos)
      << d.log();
  // Traffic through the VRF, from a process that binds to no VRF and from one bound to it.
  EXPECT_EQ(run({"ip", "netns", "exec", id, "busybox", "ping", "-c", "1", "-W", "5",
                 "203.0.113.201"})
                .status,
            0);
  EXPECT_EQ(run({"ip", "netns", "exec", id, "busybox", "ping", "-c", "1", "-W", "5", "-I", "nvred",
                 "203.0.113.201"})
                .status,
            0);
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

// Absent for a while, then there (a link to the test containerd's socket): said once, and
// found by the reconnect attempts that kept going meanwhile.
TEST_F(Containerd, AContainerdThatIsNotThereIsSaidOnceAndFoundWhenItComes) {
  TempDir dir;
  std::string socket = dir.path() + "/containerd.sock";
  Netvrfd d(R"({"docker": {"enabled": false}, "containerd": {"socket": ")" + socket + R"("}})");
  ASSERT_TRUE(d.startReady()) << d.log();
  std::this_thread::sleep_for(3s);  // absent through a few reconnect attempts
  std::filesystem::create_symlink(containerdSock(), socket);
  EXPECT_TRUE(waitUntil(
      [&] { return d.log().find("containerd: connected to") != std::string::npos; }, 60s))
      << d.log();
  std::string log = d.log();
  size_t first = log.find("containerd: not reachable");
  EXPECT_NE(first, std::string::npos) << log;
  EXPECT_EQ(log.find("containerd: not reachable", first + 1), std::string::npos) << log;
}

}  // namespace
}  // namespace netvrf::test
