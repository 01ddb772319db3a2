// The netvrf.* container labels against a real dockerd and a real netvrfd: a labelled container
// is attached to its VRF when it starts (Docker's firewall and published ports:
// docker_firewall_test.cpp). DockerVrf.Attach* needs a kernel with VRF support and
// runs in the VM with a dockerd of its own (tests/vm/guest-services); the others check, on a
// kernel without VRF support, that a label that cannot be honoured is reported and changes
// nothing.
#include <gtest/gtest.h>

#include <filesystem>

#include "attach/host_side.hpp"
#include "docker_vrf_fixture.hpp"

namespace netvrf::test {
namespace {

TEST_F(DockerVrfKernel, LabelledContainerIsAttachedWhenItStartsAndAfterARestart) {
  Netvrfd d;
  ASSERT_TRUE(d.startReady()) << d.log();
  std::string name = docker_.uniqueName("red");
  docker_.runDetached(name, {"--label", "netvrf.vrf=red"});
  ASSERT_TRUE(waitUntil([&] { return masterOf(name, "eth0") == "red"; }, 20s)) << d.log();
  // The container's default route went along into the VRF's table, which netvrfd allocated
  // from its range and named for iproute2.
  json vrf = ipJson(name, {"-d", "link", "show", "red"});
  ASSERT_EQ(vrf.size(), 1u);
  uint32_t table = vrf[0]["linkinfo"]["info_data"]["table"];
  EXPECT_EQ(table, 1001u);
  json routes = ipJson(name, {"route", "show", "table", "1001"});
  bool gateway = false;
  for (const auto& r : routes) gateway |= r.value("dst", "") == "default" && r.contains("gateway");
  EXPECT_TRUE(gateway) << routes.dump();
  EXPECT_NE(readFile(d.dir() + "/rt_tables.conf").find("1001\tred"), std::string::npos);
  EXPECT_TRUE(logSays(d, "attached to VRF red (table 1001): eth0")) << d.log();

  ASSERT_EQ(docker_.cli({"restart", "-t", "0", name}).status, 0);
  pid_t pid = docker_.pid(name);
  ASSERT_TRUE(waitUntil(
      [&] {
        return masterOf(name, "eth0") == "red" &&
               entryNs(name) == nsIdentityOfPath("/proc/" + std::to_string(pid) + "/ns/net");
      },
      20s))
      << d.log();
}

// The same label on a Podman container, through Podman's Docker-compatible service.
TEST_F(DockerVrfKernel, PodmanContainerTakesTheLabelToo) {
  NETVRF_REQUIRE(missingPodman());
  Docker podman = Docker::podman();
  Netvrfd d(R"({"containerd": {"enabled": false}})");
  ASSERT_TRUE(d.startReady()) << d.log();
  std::string name = podman.uniqueName("blue");
  podman.runDetached(name, {"--network", "nvtpod", "--label", "netvrf.vrf=blue"});
  ASSERT_TRUE(waitUntil([&] { return masterOf(name, "eth0") == "blue"; }, 20s)) << d.log();
  json routes = ipJson(name, {"route", "show", "vrf", "blue"});
  bool subnet = false;
  for (const auto& r : routes) subnet |= r.value("dst", "") == "203.0.113.240/28";
  EXPECT_TRUE(subnet) << routes.dump();
  EXPECT_TRUE(logSays(d, "attached to VRF blue")) << d.log();
  // Podman's own entry holds the same namespace, VRF and all.
  Result ls = run({"ip", "netns", "ls"});
  std::string podmans;
  for (const auto& e : std::filesystem::directory_iterator("/var/run/netns")) {
    std::string entry = e.path().filename().string();
    if (entry.starts_with("netns-") && entryNs(entry) == entryNs(name)) podmans = entry;
  }
  ASSERT_FALSE(podmans.empty()) << ls.out;
  EXPECT_EQ(masterOf(podmans, "eth0"), "blue");
}

// Podman's networks, which it creates without an event and whose bridge only its own API names:
// learnt when a container on them is seen. netvrf.container_vrf puts the container's interface
// on a network into that VRF (also when connected at run time), netvrf.vrf puts the network's
// bridge into a host VRF.
TEST_F(DockerVrfKernel, PodmanNetworkLabelsWorkAsDockers) {
  NETVRF_REQUIRE(missingPodman());
  Docker podman = Docker::podman();
  Netvrfd d(R"({"containerd": {"enabled": false}})");
  ASSERT_TRUE(d.startReady()) << d.log();
  std::string lab = podman.uniqueName("plab"), front = podman.uniqueName("pfront");
  podman.createNetwork(lab,
                       {"--label", "netvrf.container_vrf=blue", "--subnet", "203.0.113.208/28"});
  std::string bridge =
      podman.createNetwork(front, {"--label", "netvrf.vrf=green", "--subnet", "203.0.113.224/28"});
  ASSERT_TRUE(bridge.starts_with("cni-podman")) << bridge;
  std::string name = podman.uniqueName("pmulti");
  podman.runDetached(name, {"--network", front});
  auto masterOn = [&](const std::string& network) {
    return masterOnNetwork(podman, name, network);
  };
  // Its network's bridge, into host VRF green.
  ASSERT_TRUE(waitUntil(
      [&] {
        json link = hostLink(bridge);
        return link.size() == 1 && link[0].value("master", "") == "green";
      },
      20s))
      << d.log();
  EXPECT_EQ(masterOn(front), "");  // nothing asks for a VRF inside the container yet

  // Connected at run time to the network labelled netvrf.container_vrf: into blue.
  ASSERT_EQ(podman.cli({"network", "connect", lab, name}).status, 0);
  ASSERT_TRUE(waitUntil([&] { return masterOn(lab) == "blue"; }, 10s)) << d.log();
  EXPECT_EQ(masterOn(front), "");
  json routes = ipJson(name, {"route", "show", "vrf", "blue"});
  bool subnet = false;
  for (const auto& r : routes) subnet |= r.value("dst", "") == "203.0.113.208/28";
  EXPECT_TRUE(subnet) << routes.dump();
  EXPECT_EQ(run({"ip", "netns", "exec", name, "busybox", "ping", "-c", "1", "-W", "5", "-I", "blue",
                 "203.0.113.209"})
                .status,
            0)
      << d.log();
  EXPECT_TRUE(logSays(d, "attaching to VRF blue (network " + lab + ")")) << d.log();

  // Disconnected: blue, which netvrfd made for it, goes, and nothing is said about the
  // interface Podman deleted before it reported the disconnect.
  ASSERT_EQ(podman.cli({"network", "disconnect", lab, name}).status, 0);
  EXPECT_TRUE(waitUntil(
      [&] {
        return ipJson(name, {"link", "show", "blue"}).empty();
      },
      10s))
      << d.log();
  EXPECT_FALSE(logSays(d, "behind netvrfd's back")) << d.log();
  // Podman reports no network removal: the host VRF its bridge was in stays (README).
  run({"ip", "link", "del", "green"});
}

// A macvlan network has no bridge on the host: netvrf.container_vrf still puts each container's
// interface on it into the VRF, and netvrf.vrf on it is refused in one line.
TEST_F(DockerVrfKernel, MacvlanNetworkTakesTheContainerVrfLabelAndRefusesAHostVrf) {
  // Docker takes one macvlan network per parent interface.
  std::string parent = "nvmv" + std::to_string(getpid() % 10000), parent2 = parent + "h";
  struct Gone {
    std::string dev;
    ~Gone() { run({"ip", "link", "del", dev}); }
  } gone{parent}, gone2{parent2};
  for (const auto& dev : {parent, parent2}) {
    ASSERT_EQ(run({"ip", "link", "add", dev, "type", "dummy"}).status, 0);
    ASSERT_EQ(run({"ip", "link", "set", dev, "up"}).status, 0);
  }
  Netvrfd d;
  ASSERT_TRUE(d.startReady()) << d.log();
  std::string mv = docker_.uniqueName("mv"), mv2 = docker_.uniqueName("mvh");
  createNetwork(mv, {"-d", "macvlan", "-o", "parent=" + parent, "--subnet", "203.0.113.128/28",
                     "--label", "netvrf.container_vrf=blue"});
  createNetwork(mv2, {"-d", "macvlan", "-o", "parent=" + parent2, "--subnet", "203.0.113.144/28",
                      "--label", "netvrf.vrf=mvhost"});
  EXPECT_TRUE(logSays(d, "network " + mv2 + " (docker ")) << d.log();
  EXPECT_TRUE(logSays(d, "): not attached to VRF mvhost: it has no bridge on the host")) << d.log();
  std::string name = docker_.uniqueName("mvc");
  docker_.runDetached(name, {"--network", mv});
  ASSERT_TRUE(waitUntil([&] { return masterOf(name, "eth0") == "blue"; }, 20s)) << d.log();
  json routes = ipJson(name, {"route", "show", "vrf", "blue"});
  bool subnet = false;
  for (const auto& r : routes) subnet |= r.value("dst", "") == "203.0.113.128/28";
  EXPECT_TRUE(subnet) << routes.dump();
  EXPECT_EQ(hostLink("mvhost").size(), 0u);
  EXPECT_TRUE(logSays(d, "attaching to VRF blue (network " + mv + ")")) << d.log();
}

TEST_F(DockerVrf, WithoutVrfSupportTheContainerStaysAsItWasAndTheLogSaysWhy) {
  NETVRF_REQUIRE(missingVrfFreeKernel());
  Netvrfd d;
  ASSERT_TRUE(d.startReady()) << d.log();
  std::string name = docker_.uniqueName("novrf");
  docker_.runDetached(name, {"--label", "netvrf.vrf=red"});
  EXPECT_TRUE(logSays(d,
                      "): not attached: attach to VRF red: create VRF red (table 1001) "
                      "failed: VRF red: this kernel has no VRF support (CONFIG_NET_VRF); "
                      "rolled back"))
      << d.log();
  EXPECT_TRUE(ipNetnsLists(name));
  EXPECT_EQ(masterOf(name, "eth0"), "");
  json routes = ipJson(name, {"route", "show"});
  EXPECT_NE(routes.dump().find("\"default\""), std::string::npos) << routes.dump();
  EXPECT_EQ(ipJson(name, {"link", "show", "red"}).size(), 0u);
}

TEST_F(DockerVrf, BadLabelsAreNamedAndChangeNothing) {
  Netvrfd d;
  ASSERT_TRUE(d.startReady()) << d.log();
  std::string name = docker_.uniqueName("badlabel");
  docker_.runDetached(name, {"--label", "netvrf.vrf=red", "--label", "netvrf.table=254"});
  EXPECT_TRUE(logSays(d,
                      "): not attached: label netvrf.table=254: table 254 is reserved (253 "
                      "default, 254 main, 255 local)"))
      << d.log();
  std::string typo = docker_.uniqueName("typo");
  docker_.runDetached(typo, {"--label", "netvrf.vfr=red"});
  EXPECT_TRUE(logSays(d, "): not attached: label netvrf.vfr=red: unknown netvrf label")) << d.log();
  for (const auto& n : {name, typo}) {
    EXPECT_TRUE(ipNetnsLists(n));
    EXPECT_EQ(masterOf(n, "eth0"), "");
  }
}

TEST_F(DockerVrfKernel, HostLegLabelsGiveTheContainerAVethIntoAHostVrf) {
  Netvrfd d;
  ASSERT_TRUE(d.startReady()) << d.log();
  std::string name = docker_.uniqueName("leg");
  std::string id =
      docker_.runDetached(name, {"--network", "none", "--label", "netvrf.host_vrf=green", "--label",
                                 "netvrf.host_addresses=203.0.113.130/28,2001:db8:7::10/64",
                                 "--label", "netvrf.host_gateways=203.0.113.129,2001:db8:7::1"});
  std::string hostEnd = defaultHostIfname(id, "green");
  ASSERT_TRUE(joins(hostEnd, "green")) << d.log();
  json inside = ipJson(name, {"addr", "show", "nv-green"});
  ASSERT_EQ(inside.size(), 1u) << d.log();
  EXPECT_NE(inside.dump().find("203.0.113.130"), std::string::npos) << inside.dump();
  // Docker disables IPv6 in the container; the leg's IPv6 address enables it on the leg.
  EXPECT_NE(inside.dump().find("2001:db8:7::10"), std::string::npos) << inside.dump();
  EXPECT_NE(ipJson(name, {"route", "show", "default"}).dump().find("203.0.113.129"),
            std::string::npos);
  // The container reaches its gateway, which exists only in the host's VRF green.
  EXPECT_EQ(
      run({"ip", "netns", "exec", name, "busybox", "ping", "-c", "1", "-W", "2", "203.0.113.129"})
          .status,
      0);
  docker_.remove(name);
  EXPECT_TRUE(
      waitUntil([&] { return hostLink(hostEnd).empty() && hostLink("green").empty(); }, 20s))
      << d.log();
}

TEST_F(DockerVrf, LabelledNetworkWithoutVrfSupportKeepsItsBridgeAsItWas) {
  NETVRF_REQUIRE(missingVrfFreeKernel());
  Netvrfd d;
  ASSERT_TRUE(d.startReady()) << d.log();
  std::string name = docker_.uniqueName("net");
  std::string bridge =
      createNetwork(name, {"--label", "netvrf.vrf=blue", "--subnet", "203.0.113.64/28"});
  EXPECT_TRUE(logSays(d,
                      "not attached: attach to VRF blue: create VRF blue (table 1001) failed: "
                      "VRF blue: this kernel has no VRF support (CONFIG_NET_VRF); rolled back"))
      << d.log();
  json link = hostLink(bridge);
  ASSERT_EQ(link.size(), 1u) << bridge;
  EXPECT_FALSE(link[0].contains("master"));
  EXPECT_EQ(hostLink("blue").size(), 0u);
}

TEST_F(DockerVrfKernel, LabelledNetworkHasItsBridgeInAHostVrfUntilItIsRemoved) {
  Netvrfd d;
  ASSERT_TRUE(d.startReady()) << d.log();
  std::string name = docker_.uniqueName("net");
  std::string bridge =
      createNetwork(name, {"--label", "netvrf.vrf=blue", "--subnet", "203.0.113.64/28"});
  ASSERT_TRUE(joins(bridge, "blue")) << d.log();
  // The network's connected route is in the VRF's table, no longer in main.
  Result vrfRoutes = run({"ip", "-j", "route", "show", "vrf", "blue"});
  EXPECT_NE(vrfRoutes.out.find("203.0.113.64/28"), std::string::npos) << vrfRoutes.out;
  Result mainRoutes = run({"ip", "-j", "route", "show", "table", "main"});
  EXPECT_EQ(mainRoutes.out.find("203.0.113.64/28"), std::string::npos) << mainRoutes.out;
  // A container on it is a port of the bridge, so it is routed in VRF blue on the host: the
  // VRF's route to it goes through the bridge, main has none, and a process bound to the VRF
  // reaches it.
  std::string ctr = docker_.uniqueName("onnet");
  docker_.runDetached(ctr, {"--network", name});
  ASSERT_TRUE(waitUntil([&] { return ipNetnsLists(ctr); }, 20s)) << d.log();
  std::string ip = docker_.inspect(ctr, "{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}");
  ASSERT_EQ(ip.rfind("203.0.113.", 0), 0u) << ip;
  json viaVrf =
      json::parse(run({"ip", "-j", "route", "get", ip, "vrf", "blue"}).out, nullptr, false);
  ASSERT_TRUE(viaVrf.is_array() && viaVrf.size() == 1) << viaVrf.dump();
  EXPECT_EQ(viaVrf[0].value("dev", ""), bridge);
  Result viaMain = run({"ip", "-j", "route", "get", ip});
  EXPECT_EQ(viaMain.out.find("\"dev\":\"" + bridge + "\""), std::string::npos) << viaMain.out;
  EXPECT_EQ(run({"busybox", "ping", "-c", "1", "-W", "5", "-I", "blue", ip}).status, 0);

  docker_.remove(ctr);
  ASSERT_EQ(docker_.cli({"network", "rm", name}).status, 0);
  EXPECT_TRUE(waitUntil([&] { return hostLink("blue").empty(); }, 20s)) << d.log();
  EXPECT_TRUE(logSays(d, "deleted VRF blue: its last network is gone")) << d.log();
}

// A VRF per network inside the container: each network labelled netvrf.container_vrf puts the
// container's interface on it into that VRF, followed through connect, disconnect and restart.
TEST_F(DockerVrfKernel, EachLabelledNetworkPutsItsInterfaceIntoItsOwnVrf) {
  Netvrfd d;
  ASSERT_TRUE(d.startReady()) << d.log();
  std::string a = docker_.uniqueName("cva"), b = docker_.uniqueName("cvb"),
              m = docker_.uniqueName("cvm");
  createNetwork(a, {"--label", "netvrf.container_vrf=blue", "--subnet", "203.0.113.160/28"});
  createNetwork(b, {"--label", "netvrf.container_vrf=green", "--label", "netvrf.default=true",
                    "--subnet", "203.0.113.176/28"});
  createNetwork(m, {"--label", "netvrf.container_vrf=mgmt", "--subnet", "203.0.113.192/28"});
  std::string name = docker_.uniqueName("multi");
  docker_.runDetached(name, {"--network", a});
  auto masterOn = [&](const std::string& network) {
    return masterOnNetwork(docker_, name, network);
  };
  auto gateway = [&](const std::string& network) {
    return docker_.inspect(name,
                           "{{(index .NetworkSettings.Networks \"" + network + "\").Gateway}}");
  };
  auto pingsThrough = [&](const std::string& vrf, const std::string& to) {
    return run({"ip", "netns", "exec", name, "busybox", "ping", "-c", "1", "-W", "5", "-I", vrf,
                to})
               .status == 0;
  };
  ASSERT_TRUE(waitUntil([&] { return masterOn(a) == "blue"; }, 20s)) << d.log();

  // Connected while it runs: within a second or so, its interface is in green, which takes the
  // unbound sockets (the network says netvrf.default=true).
  ASSERT_EQ(docker_.cli({"network", "connect", b, name}).status, 0);
  auto connected = std::chrono::steady_clock::now();
  ASSERT_TRUE(waitUntil([&] { return masterOn(b) == "green"; }, 10s)) << d.log();
  auto took = std::chrono::duration_cast<std::chrono::milliseconds>(
      std::chrono::steady_clock::now() - connected);
  std::cout << "docker network connect -> in its VRF: " << took.count() << " ms\n";
  EXPECT_LT(took, 3s) << d.log();
  EXPECT_EQ(masterOn(a), "blue");
  json green = ipJson(name, {"-d", "link", "show", "green"});
  ASSERT_EQ(green.size(), 1u);
  uint32_t greenTable = green[0]["linkinfo"]["info_data"]["table"];
  json rules = ipJson(name, {"rule", "show", "pref", "2000"});
  ASSERT_EQ(rules.size(), 1u) << rules.dump();
  EXPECT_EQ(rules[0].value("table", ""), std::to_string(greenTable)) << rules.dump();
  EXPECT_TRUE(pingsThrough("blue", gateway(a))) << d.log();
  EXPECT_TRUE(pingsThrough("green", gateway(b))) << d.log();

  // A restart: a new namespace, both interfaces in their VRFs again.
  ASSERT_EQ(docker_.cli({"restart", "-t", "0", name}).status, 0);
  pid_t pid = docker_.pid(name);
  ASSERT_TRUE(waitUntil(
      [&] {
        return entryNs(name) == nsIdentityOfPath("/proc/" + std::to_string(pid) + "/ns/net") &&
               masterOn(a) == "blue" && masterOn(b) == "green";
      },
      20s))
      << d.log();
  EXPECT_TRUE(pingsThrough("blue", gateway(a))) << d.log();
  EXPECT_TRUE(pingsThrough("green", gateway(b))) << d.log();

  // Deleted behind netvrfd's back: made again, with its interface and routes.
  ASSERT_EQ(run({"ip", "-n", name, "link", "del", "green"}).status, 0);
  ASSERT_TRUE(waitUntil([&] { return masterOn(b) == "green"; }, 10s)) << d.log();
  EXPECT_TRUE(logSays(d, "VRF green was deleted behind netvrfd's back; attaching it again"))
      << d.log();
  EXPECT_TRUE(pingsThrough("green", gateway(b))) << d.log();
  EXPECT_EQ(masterOn(a), "blue");

  // A third network at run time, then gone again: its VRF comes and goes (netvrf made it).
  ASSERT_EQ(docker_.cli({"network", "connect", m, name}).status, 0);
  ASSERT_TRUE(waitUntil([&] { return masterOn(m) == "mgmt"; }, 10s)) << d.log();
  EXPECT_TRUE(pingsThrough("mgmt", gateway(m))) << d.log();
  ASSERT_EQ(docker_.cli({"network", "disconnect", m, name}).status, 0);
  EXPECT_TRUE(waitUntil(
      [&] {
        return ipJson(name, {"link", "show", "mgmt"}).empty();
      },
      10s))
      << d.log();
  EXPECT_EQ(masterOn(a), "blue");
  EXPECT_EQ(masterOn(b), "green");
  EXPECT_TRUE(logSays(d, "(network " + a + ")")) << d.log();
}

}  // namespace
}  // namespace netvrf::test
