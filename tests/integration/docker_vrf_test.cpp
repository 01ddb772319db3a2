// The netvrf.* container labels against a real dockerd and a real netvrfd: a labelled container
// is attached to its VRF when it starts. DockerVrf.Attach* needs a kernel with VRF support and
// runs in the VM with a dockerd of its own (tests/vm/guest-services); the others check, on a
// kernel without VRF support, that a label that cannot be honoured is reported and changes
// nothing.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "attach/host_side.hpp"
#include "harness.hpp"

namespace netvrf::test {
namespace {

using namespace std::chrono_literals;
using nlohmann::json;

// A client namespace behind a veth pair: the host end `uplink` with `hostAddr` (/28, in the
// main table for the test to enslave where it wants), the client end with `clientAddr` and its
// default route through the host end. Gone at the end, with VRF `vrf` when one is named.
class Client {
 public:
  Client(const std::string& stem, std::string hostEnd, const std::string& hostAddr,
         const std::string& clientAddr, std::string vrf = "")
      : ns(stem + std::to_string(getpid() % 10000)),
        uplink(std::move(hostEnd)),
        vrf_(std::move(vrf)) {
    const std::string peer = this->uplink + "c";
    ok_ =
        run({"ip", "netns", "add", ns}).status == 0 &&
        run({"ip", "link", "add", this->uplink, "type", "veth", "peer", "name", peer, "netns", ns})
                .status == 0 &&
        run({"ip", "addr", "add", hostAddr + "/28", "dev", this->uplink}).status == 0 &&
        run({"ip", "link", "set", this->uplink, "up"}).status == 0 &&
        run({"ip", "-n", ns, "addr", "add", clientAddr + "/28", "dev", peer}).status == 0 &&
        run({"ip", "-n", ns, "link", "set", peer, "up"}).status == 0 &&
        run({"ip", "-n", ns, "route", "add", "default", "via", hostAddr}).status == 0;
  }
  ~Client() {
    run({"ip", "link", "del", uplink});
    run({"ip", "netns", "del", ns});
    if (!vrf_.empty()) run({"ip", "link", "del", vrf_});
  }
  bool ok() const { return ok_; }
  // The uplink into `vrf`, up (enslaving takes it down).
  bool enslave(const std::string& vrf) const {
    return run({"ip", "link", "set", uplink, "master", vrf}).status == 0 &&
           run({"ip", "link", "set", uplink, "up"}).status == 0;
  }
  const std::string ns, uplink;

 private:
  std::string vrf_;
  bool ok_ = false;
};

class DockerVrf : public ::testing::Test {
 protected:
  void SetUp() override { NETVRF_REQUIRE(missingDocker()); }

  json ipJson(const std::string& entry, std::vector<std::string> args) {
    std::vector<std::string> argv{"ip", "-n", entry, "-j"};
    argv.insert(argv.end(), args.begin(), args.end());
    Result r = run(argv);
    if (r.status != 0) return json::array();
    return json::parse(r.out, nullptr, false);
  }
  std::string masterOf(const std::string& entry, const std::string& dev) {
    json link = ipJson(entry, {"link", "show", dev});
    return link.is_array() && link.size() == 1 ? link[0].value("master", "") : "";
  }
  bool logSays(const Netvrfd& d, const std::string& text) {
    return waitUntil([&] { return d.log().find(text) != std::string::npos; }, 10s);
  }
  static std::string readFile(const std::string& path) {
    std::ifstream in(path);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
  }

  std::string createNetwork(const std::string& name, std::vector<std::string> args) {
    return docker_.createNetwork(name, args);
  }
  // The master of `container`'s interface on `network` (found by the MAC the engine gave it).
  std::string masterOnNetwork(Docker& engine, const std::string& container,
                              const std::string& network) {
    std::string mac = engine.inspect(
        container, "{{(index .NetworkSettings.Networks \"" + network + "\").MacAddress}}");
    for (const auto& l : ipJson(container, {"link", "show"}))
      if (!mac.empty() && l.value("address", "") == mac)
        return masterOf(container, l.value("ifname", ""));
    return "(no interface)";
  }
  json hostLink(const std::string& dev) {
    Result r = run({"ip", "-j", "-d", "link", "show", dev});
    return r.status == 0 ? json::parse(r.out) : json::array();
  }
  // Whether host interface `dev` is enslaved to `vrf` within 20 s.
  bool joins(const std::string& dev, const std::string& vrf) {
    return waitUntil(
        [&] {
          json l = hostLink(dev);
          return l.size() == 1 && l[0].value("master", "") == vrf;
        },
        20s);
  }

  Docker docker_;
};

class DockerVrfKernel : public DockerVrf {
 protected:
  void SetUp() override {
    NETVRF_REQUIRE(missingVrf());
    DockerVrf::SetUp();
  }
};

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
  podman.createNetwork(lab, {"--label", "netvrf.container_vrf=blue", "--subnet",
                             "203.0.113.208/28"});
  std::string bridge =
      podman.createNetwork(front, {"--label", "netvrf.vrf=green", "--subnet", "203.0.113.224/28"});
  ASSERT_TRUE(bridge.starts_with("cni-podman")) << bridge;
  std::string name = podman.uniqueName("pmulti");
  podman.runDetached(name, {"--network", front});
  auto masterOn = [&](const std::string& network) { return masterOnNetwork(podman, name, network); };
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
  EXPECT_EQ(run({"ip", "netns", "exec", name, "busybox", "ping", "-c", "1", "-W", "5", "-I",
                 "blue", "203.0.113.209"})
                .status,
            0)
      << d.log();
  EXPECT_TRUE(logSays(d, "attaching to VRF blue (network " + lab + ")")) << d.log();

  // Disconnected: blue, which netvrfd made for it, goes, and nothing is said about the
  // interface Podman deleted before it reported the disconnect.
  ASSERT_EQ(podman.cli({"network", "disconnect", lab, name}).status, 0);
  EXPECT_TRUE(waitUntil([&] { return ipJson(name, {"link", "show", "blue"}).empty(); }, 10s))
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
  json viaVrf = json::parse(run({"ip", "-j", "route", "get", ip, "vrf", "blue"}).out, nullptr, false);
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

// With Docker's firewall on (as in this VM), a packet a container on a network in host VRF
// fwblue sends to the VRF's uplink reaches FORWARD from fwblue, not from the bridge: Docker's
// rules miss it and its DROP policy wins. netvrfd's chain NETVRF-FORWARD, jumped to from
// DOCKER-USER, lets it out, and follows the VRF's members.
TEST_F(DockerVrfKernel, AHostVrfNetworkReachesItsUplinkWithDockersFirewallOn) {
  Client c("nvtcl", "nvup0", "192.0.2.1", "192.0.2.2", "fwblue");
  ASSERT_TRUE(c.ok());
  const std::string& uplink = c.uplink;
  SystemBus bus;
  Netvrfd d("", {bus.env()});
  ASSERT_TRUE(d.startReady()) << d.log();
  std::string net = docker_.uniqueName("fwnet");
  std::string bridge =
      createNetwork(net, {"--label", "netvrf.vrf=fwblue", "--subnet", "203.0.113.96/28"});
  ASSERT_TRUE(joins(bridge, "fwblue")) << d.log();
  ASSERT_TRUE(c.enslave("fwblue"));
  std::string name = docker_.uniqueName("fwc");
  docker_.runDetached(name, {"--network", net});
  auto reaches = [&] {
    return docker_.cli({"exec", name, "ping", "-c", "1", "-W", "2", "192.0.2.2"}).status == 0;
  };
  auto chain = [] { return run({"iptables", "-w", "-S", "NETVRF-FORWARD"}); };
  const std::string rule = "-A NETVRF-FORWARD -s 203.0.113.96/28 -i fwblue -o nvup0 -j ACCEPT";
  ASSERT_TRUE(waitUntil(reaches, 20s)) << chain().out << d.log();
  EXPECT_NE(chain().out.find(rule), std::string::npos) << chain().out;
  EXPECT_NE(run({"iptables", "-w", "-S", "DOCKER-USER"}).out.find("-j NETVRF-FORWARD"),
            std::string::npos);
  // TCP from the container's own process, UDP from its namespace, to servers behind the uplink.
  Background web({"ip", "netns", "exec", c.ns, "socat", "-d", "-d",
                  "TCP4-LISTEN:8090,reuseaddr,fork", "SYSTEM:echo hello"});
  Background echo({"ip", "netns", "exec", c.ns, "socat", "-d", "-d", "UDP4-RECVFROM:5354,fork",
                   "SYSTEM:echo pong"});
  ASSERT_TRUE(web.waitFor("listening on")) << web.output();
  ASSERT_TRUE(echo.waitFor("receiving on")) << echo.output();
  // (busybox-static's wget crashes; its nc reads the answer after stdin's end.)
  EXPECT_NE(docker_.cli({"exec", name, "sh", "-c", "nc -w 3 192.0.2.2 8090 </dev/null"})
                .out.find("hello"),
            std::string::npos)
      << web.output();
  EXPECT_NE(run({"sh", "-c",
                 "echo ping | nsenter -t " + std::to_string(docker_.pid(name)) +
                     " -n socat -T3 - UDP4:192.0.2.2:5354"})
                .out.find("pong"),
            std::string::npos)
      << echo.output();
  // A network in another host VRF reaches neither the client nor the first network.
  std::string other = docker_.uniqueName("fwred");
  std::string otherBridge =
      createNetwork(other, {"--label", "netvrf.vrf=fwred", "--subnet", "203.0.113.0/28"});
  ASSERT_TRUE(joins(otherBridge, "fwred")) << d.log();
  std::string stranger = docker_.uniqueName("fwx");
  docker_.runDetached(stranger, {"--network", other});
  std::string first =
      docker_.inspect(name, "{{(index .NetworkSettings.Networks \"" + net + "\").IPAddress}}");
  for (const std::string& to : {std::string("192.0.2.2"), first})
    EXPECT_NE(docker_.cli({"exec", stranger, "ping", "-c", "1", "-W", "1", to}).status, 0) << to;
  docker_.remove(stranger);
  ASSERT_EQ(docker_.cli({"network", "rm", other}).status, 0);
  EXPECT_TRUE(logSays(d, "firewall: netvrfd's chains let out fwblue: 203.0.113.96/28 to nvup0"))
      << d.log();

  // Without the rule, Docker's firewall drops it: what makes it work is netvrfd's rule.
  ASSERT_EQ(run({"iptables", "-w", "-F", "NETVRF-FORWARD"}).status, 0);
  EXPECT_FALSE(reaches());
  // The uplink leaves the VRF (the rules go) and comes back (they are made again).
  ASSERT_EQ(run({"ip", "link", "set", uplink, "nomaster"}).status, 0);
  EXPECT_TRUE(waitUntil([&] { return chain().status != 0; }, 10s)) << chain().out << d.log();
  ASSERT_TRUE(c.enslave("fwblue"));
  EXPECT_TRUE(waitUntil(reaches, 20s)) << chain().out << d.log();
  // The network detached from fwblue by hand: its rule goes; attached again: back.
  Result detached = netvrfctl(bus, {"network", "detach", net});
  ASSERT_EQ(detached.status, 0) << detached.out;
  EXPECT_TRUE(waitUntil([&] { return chain().status != 0; }, 10s)) << chain().out << d.log();
  Result attached = netvrfctl(bus, {"network", "attach", net, "--vrf", "fwblue"});
  ASSERT_EQ(attached.status, 0) << attached.out;
  EXPECT_TRUE(waitUntil(reaches, 20s)) << chain().out << d.log();
  EXPECT_NE(chain().out.find(rule), std::string::npos) << chain().out;

  // Killed, and the network removed meanwhile: its next start leaves nothing of netvrfd's in
  // Docker's firewall.
  d.signal(SIGKILL);
  d.wait();
  docker_.remove(name);
  ASSERT_EQ(docker_.cli({"network", "rm", net}).status, 0);
  EXPECT_EQ(chain().status, 0) << "the killed run's rules are still there";
  d.start();
  ASSERT_TRUE(d.waitReady()) << d.log();
  EXPECT_TRUE(waitUntil([&] { return chain().status != 0; }, 20s)) << chain().out << d.log();
  EXPECT_EQ(run({"iptables", "-w", "-S", "DOCKER-USER"}).out.find("NETVRF"), std::string::npos);
}

// Docker's DNAT for a published port jumps only for addresses local in the main table; a host
// VRF's addresses are local in its own. netvrfd's NETVRF-PREROUTING and NETVRF-OUTPUT (nat)
// make the published ports of a container on a network in host VRF pblue answer on the VRF's
// addresses: from a client behind its uplink and from the host with `ip vrf exec`, TCP and UDP,
// through a dockerd restart; a port bound to 127.0.0.1 stays off the VRF; the rules follow the
// container and leave nothing behind.
TEST_F(DockerVrfKernel, PublishedPortsOfAHostVrfNetworkAnswerOnTheVrfsAddresses) {
  const char* services = std::getenv("NETVRF_TEST_SERVICES");
  NETVRF_REQUIRE(services
                     ? std::nullopt
                     : std::optional<std::string>("needs NETVRF_TEST_SERVICES to restart dockerd"));
  Client c("nvpcl", "nvup1", "192.0.2.17", "192.0.2.18", "pblue");
  ASSERT_TRUE(c.ok());
  const std::string& client = c.ns;
  SystemBus bus;
  Netvrfd d("", {bus.env()});
  ASSERT_TRUE(d.startReady()) << d.log();
  std::string net = docker_.uniqueName("pnet");
  std::string bridge =
      createNetwork(net, {"--label", "netvrf.vrf=pblue", "--subnet", "203.0.113.112/28"});
  ASSERT_TRUE(joins(bridge, "pblue")) << d.log();
  ASSERT_TRUE(c.enslave("pblue"));
  std::string name = docker_.uniqueName("pweb");
  docker_.runDetached(name,
                      {"--network", net, "-p", "8082:80", "-p", "5353:53/udp", "-p",
                       "127.0.0.1:8083:81"},
                      {"/bin/busybox", "httpd", "-f", "-p", "80", "-h", "/"});
  // A UDP echo in the container's namespace (the image has no UDP server).
  auto udpServer = [&] {
    auto b = std::make_unique<Background>(std::vector<std::string>{
        "nsenter", "-t", std::to_string(docker_.pid(name)), "-n", "socat", "-d", "-d",
        "UDP4-RECVFROM:53,fork", "SYSTEM:echo pong"});
    EXPECT_TRUE(b->waitFor("receiving on")) << b->output();
    return b;
  };
  auto udp = udpServer();
  auto tcp = [&](std::vector<std::string> via, const std::string& to) {
    via.insert(via.end(), {"curl", "-s", "-m", "3", "-o", "/dev/null", "http://" + to + "/"});
    return run(via).status == 0;  // any HTTP answer: the connection was made
  };
  auto udpAnswers = [&](const std::string& via) {
    return run({"sh", "-c", "echo ping | " + via + " socat -T3 - UDP4:192.0.2.17:5353"})
               .out.find("pong") != std::string::npos;
  };
  const std::vector<std::string> fromClient = {"ip", "netns", "exec", client};
  const std::vector<std::string> fromHost = {"ip", "vrf", "exec", "pblue"};
  auto nat = [](const std::string& chain) {
    return run({"iptables", "-w", "-t", "nat", "-S", chain});
  };
  ASSERT_TRUE(waitUntil([&] { return tcp(fromClient, "192.0.2.17:8082"); }, 20s))
      << nat("NETVRF-PREROUTING").out << d.log();
  EXPECT_TRUE(tcp(fromHost, "192.0.2.17:8082")) << nat("NETVRF-OUTPUT").out;
  EXPECT_TRUE(udpAnswers("ip netns exec " + client)) << udp->output();
  EXPECT_TRUE(udpAnswers("ip vrf exec pblue")) << udp->output();
  // The port bound to 127.0.0.1 is the main table's only.
  EXPECT_FALSE(tcp(fromClient, "192.0.2.17:8083"));
  EXPECT_EQ(nat("NETVRF-PREROUTING").out.find("8083"), std::string::npos);
  // As the README shows them.
  std::string cip = docker_.inspect(name, "{{(index .NetworkSettings.Networks \"" + net +
                                              "\").IPAddress}}");
  EXPECT_NE(nat("NETVRF-PREROUTING")
                .out.find("-A NETVRF-PREROUTING -i nvup1 -p tcp -m addrtype --dst-type LOCAL "
                          "--limit-iface-in -m tcp --dport 8082 -j DNAT --to-destination " +
                          cip + ":80"),
            std::string::npos)
      << nat("NETVRF-PREROUTING").out;
  EXPECT_NE(nat("NETVRF-OUTPUT").out.find("-A NETVRF-OUTPUT -d 192.0.2.17/32 -o pblue -p tcp -m "
                                          "tcp --dport 8082 -j DNAT --to-destination " +
                                          cip + ":80"),
            std::string::npos)
      << nat("NETVRF-OUTPUT").out;
  // netvrfctl status says where each answers.
  Result status = netvrfctl(bus, {"status", name});
  EXPECT_NE(status.out.find("0.0.0.0:8082/tcp -> 80: VRF pblue on 192.0.2.17"), std::string::npos)
      << status.out;
  EXPECT_NE(status.out.find("0.0.0.0:5353/udp -> 53: VRF pblue on 192.0.2.17"), std::string::npos)
      << status.out;
  EXPECT_NE(status.out.find("127.0.0.1:8083/tcp -> 81: main table"), std::string::npos)
      << status.out;
  EXPECT_NE(run({"iptables", "-w", "-t", "nat", "-S", "PREROUTING"}).out.find("-j NETVRF-PREROUTING"),
            std::string::npos);
  EXPECT_TRUE(logSays(d, "; published 5353/udp -> ")) << d.log();
  EXPECT_TRUE(logSays(d, ", 8082/tcp -> ")) << d.log();
  // Without netvrfd's rules it does not answer: they are what makes it work.
  ASSERT_EQ(run({"iptables", "-w", "-t", "nat", "-F", "NETVRF-PREROUTING"}).status, 0);
  EXPECT_FALSE(tcp(fromClient, "192.0.2.17:8082"));

  // dockerd restarts (its containers live on): its chains are made anew, netvrfd's put back.
  ASSERT_EQ(run({services, "restart-docker"}).status, 0);
  EXPECT_TRUE(waitUntil([&] { return tcp(fromClient, "192.0.2.17:8082"); }, 30s))
      << nat("NETVRF-PREROUTING").out << d.log();
  EXPECT_TRUE(udpAnswers("ip netns exec " + client)) << udp->output();

  // Stopped: its rules go; started again: back.
  udp.reset();
  ASSERT_EQ(docker_.cli({"stop", "-t", "1", name}).status, 0);
  EXPECT_TRUE(waitUntil([&] { return nat("NETVRF-PREROUTING").out.find("8082") ==
                                     std::string::npos; },
                        10s))
      << nat("NETVRF-PREROUTING").out;
  ASSERT_EQ(docker_.cli({"start", name}).status, 0);
  EXPECT_TRUE(waitUntil([&] { return tcp(fromClient, "192.0.2.17:8082"); }, 20s))
      << nat("NETVRF-PREROUTING").out << d.log();

  // Killed, and the container removed meanwhile: the next run drops its rules.
  d.signal(SIGKILL);
  d.wait();
  docker_.remove(name);
  EXPECT_NE(nat("NETVRF-PREROUTING").out.find("8082"), std::string::npos);
  d.start();
  ASSERT_TRUE(d.waitReady()) << d.log();
  EXPECT_TRUE(waitUntil([&] { return nat("NETVRF-PREROUTING").out.find("8082") ==
                                     std::string::npos; },
                        20s))
      << nat("NETVRF-PREROUTING").out << d.log();
  // The network goes: nothing of netvrfd's is left in either table.
  ASSERT_EQ(docker_.cli({"network", "rm", net}).status, 0);
  EXPECT_TRUE(waitUntil(
      [&] {
        return run({"iptables-save"}).out.find("NETVRF") == std::string::npos;
      },
      20s))
      << run({"iptables-save"}).out << d.log();
}

// IPv6 the same way, with dockerd as Debian runs it (no --ip6tables: Docker writes no IPv6
// rules and serves the port with its proxy in the main table): netvrfd's ip6tables rules,
// jumped to from FORWARD and nat PREROUTING/OUTPUT, make the port answer on the VRF's IPv6
// address, to the container's IPv6 address.
TEST_F(DockerVrfKernel, PublishedPortsAnswerOverIpv6InAHostVrf) {
  Client c("nv6cl", "nvup3", "192.0.2.65", "192.0.2.66", "p6blue");
  ASSERT_TRUE(c.ok());
  // Docker's documentation has users turn IPv6 forwarding on for IPv6 networks.
  ASSERT_EQ(run({"sysctl", "-qw", "net.ipv6.conf.all.forwarding=1"}).status, 0);
  Netvrfd d;
  ASSERT_TRUE(d.startReady()) << d.log();
  std::string net = docker_.uniqueName("p6net");
  std::string bridge = createNetwork(net, {"--label", "netvrf.vrf=p6blue", "--ipv6", "--subnet",
                                           "203.0.113.16/28", "--subnet", "2001:db8:14::/64"});
  ASSERT_TRUE(joins(bridge, "p6blue")) << d.log();
  ASSERT_TRUE(c.enslave("p6blue"));
  // After enslaving: taking the link down and up for the VRF drops IPv6 addresses.
  ASSERT_EQ(run({"ip", "addr", "add", "2001:db8:15::1/64", "dev", c.uplink, "nodad"}).status, 0);
  ASSERT_EQ(
      run({"ip", "-n", c.ns, "addr", "add", "2001:db8:15::2/64", "dev", c.uplink + "c", "nodad"})
          .status,
      0);
  ASSERT_EQ(
      run({"ip", "-n", c.ns, "-6", "route", "add", "default", "via", "2001:db8:15::1"}).status, 0);
  std::string name = docker_.uniqueName("p6web");
  docker_.runDetached(name, {"--network", net, "-p", "8085:80"},
                      {"/bin/busybox", "httpd", "-f", "-p", "80", "-h", "/"});
  std::string cip6 = docker_.inspect(
      name, "{{(index .NetworkSettings.Networks \"" + net + "\").GlobalIPv6Address}}");
  ASSERT_TRUE(cip6.starts_with("2001:db8:14:")) << cip6;
  auto tcp = [&](std::vector<std::string> via) {
    via.insert(via.end(),
               {"curl", "-g", "-s", "-m", "3", "-o", "/dev/null", "http://[2001:db8:15::1]:8085/"});
    return run(via).status == 0;
  };
  auto nat6 = [] { return run({"ip6tables-save", "-t", "nat"}).out; };
  ASSERT_TRUE(waitUntil(
      [&] {
        return tcp({"ip", "netns", "exec", c.ns});
      },
      20s))
      << nat6() << d.log();
  EXPECT_TRUE(tcp({"ip", "vrf", "exec", "p6blue"})) << nat6();
  EXPECT_NE(nat6().find("--dport 8085 -j DNAT --to-destination [" + cip6 + "]:80"),
            std::string::npos)
      << nat6();
  EXPECT_NE(run({"ip6tables", "-w", "-S", "FORWARD"}).out.find("-j NETVRF-FORWARD"),
            std::string::npos);
  // Without netvrfd's rules it does not answer (Docker's proxy listens in the main table).
  ASSERT_EQ(run({"ip6tables", "-w", "-t", "nat", "-F", "NETVRF-PREROUTING"}).status, 0);
  EXPECT_FALSE(tcp({"ip", "netns", "exec", c.ns}));
  // Gone with the container and the network: nothing of netvrfd's left in ip6tables.
  docker_.remove(name);
  ASSERT_EQ(docker_.cli({"network", "rm", net}).status, 0);
  EXPECT_TRUE(waitUntil(
      [&] { return run({"ip6tables-save"}).out.find("NETVRF") == std::string::npos; }, 20s))
      << run({"ip6tables-save"}).out << d.log();
}

// Podman's published ports have the same trouble (CNI's portmap jumps only for addresses local
// in the main table), and more on a host with Docker: Podman's own FORWARD rules let in only
// replies, Docker's policy drops the rest. netvrfd's rules make a port of a Podman container on
// a network in host VRF qblue answer through the uplink and by `ip vrf exec`, and its container
// reach the client; they follow the container.
TEST_F(DockerVrfKernel, PodmanPublishedPortsAnswerInAHostVrfToo) {
  NETVRF_REQUIRE(missingPodman());
  Docker podman = Docker::podman();
  Client c("nvqcl", "nvup2", "192.0.2.49", "192.0.2.50", "qblue");
  ASSERT_TRUE(c.ok());
  Netvrfd d(R"({"containerd": {"enabled": false}})");
  ASSERT_TRUE(d.startReady()) << d.log();
  std::string net = podman.uniqueName("qnet");
  std::string bridge =
      podman.createNetwork(net, {"--label", "netvrf.vrf=qblue", "--subnet", "203.0.113.80/28"});
  std::string name = podman.uniqueName("qweb");
  podman.runDetached(name, {"--network", net, "-p", "8084:80"},
                     {"/bin/busybox", "httpd", "-f", "-p", "80", "-h", "/"});
  ASSERT_TRUE(joins(bridge, "qblue")) << d.log();
  ASSERT_TRUE(c.enslave("qblue"));
  auto tcp = [&](std::vector<std::string> via) {
    via.insert(via.end(), {"curl", "-s", "-m", "3", "-o", "/dev/null", "http://192.0.2.49:8084/"});
    return run(via).status == 0;
  };
  const std::vector<std::string> fromClient = {"ip", "netns", "exec", c.ns};
  auto chains = [] { return run({"iptables-save"}).out; };
  ASSERT_TRUE(waitUntil([&] { return tcp(fromClient); }, 20s)) << chains() << d.log();
  EXPECT_TRUE(tcp({"ip", "vrf", "exec", "qblue"})) << chains();
  EXPECT_EQ(podman.cli({"exec", name, "ping", "-c", "1", "-W", "2", "192.0.2.50"}).status, 0)
      << chains();
  EXPECT_NE(chains().find("-A NETVRF-FORWARD -d 203.0.113.8"), std::string::npos) << chains();
  // Without netvrfd's FORWARD rules Docker's policy drops the translated packets.
  ASSERT_EQ(run({"iptables", "-w", "-F", "NETVRF-FORWARD"}).status, 0);
  EXPECT_FALSE(tcp(fromClient));
  // Stopped: its rules go (all of them: the network's uplink rule stays for the bridge).
  ASSERT_EQ(podman.cli({"stop", "-t", "1", name}).status, 0);
  EXPECT_TRUE(waitUntil([&] { return chains().find("8084") == std::string::npos; }, 10s))
      << chains() << d.log();
  podman.remove(name);
  run({"ip", "link", "del", "qblue"});  // Podman reports no network removal (README)
}

// A container attached inside (its eth0 in VRF red in its own namespace) keeps what Docker gives
// it, with Docker's firewall on: its published TCP and UDP ports answer from outside and from
// the host's loopback (Docker's DNAT and proxy reach eth0 from the host's main table; the
// replies leave through red), Docker's embedded DNS answers on a user network, and `docker
// exec` processes connect out; unmodified processes bind to no VRF, so this holds through
// l3mdev_accept and the steering rule. With netvrf.strict=true they are left outside red: the
// published port no longer answers, DNS (on loopback) still does.
TEST_F(DockerVrfKernel, AContainerAttachedInsideKeepsItsPortsDnsAndOutboundConnections) {
  Client c("nvicl", "nvin0", "192.0.2.33", "192.0.2.34");
  ASSERT_TRUE(c.ok());
  const std::string& client = c.ns;
  Netvrfd d;
  ASSERT_TRUE(d.startReady()) << d.log();
  std::string net = docker_.uniqueName("inet");
  createNetwork(net, {"--subnet", "203.0.113.128/28"});
  std::string peer = docker_.uniqueName("ipeer"), web = docker_.uniqueName("iweb"),
              strictWeb = docker_.uniqueName("istrict");
  docker_.runDetached(peer, {"--network", net});
  const std::vector<std::string> httpd = {"/bin/busybox", "httpd", "-f", "-p", "80", "-h", "/"};
  docker_.runDetached(web,
                      {"--network", net, "--label", "netvrf.vrf=red", "-p", "8084:80", "-p",
                       "5354:53/udp"},
                      httpd);
  docker_.runDetached(strictWeb,
                      {"--network", net, "--label", "netvrf.vrf=red", "--label",
                       "netvrf.strict=true", "-p", "8085:80"},
                      httpd);
  ASSERT_TRUE(waitUntil(
      [&] { return masterOf(web, "eth0") == "red" && masterOf(strictWeb, "eth0") == "red"; },
      30s))
      << d.log();
  Background udp({"nsenter", "-t", std::to_string(docker_.pid(web)), "-n", "socat", "-d", "-d",
                  "UDP4-RECVFROM:53,fork", "SYSTEM:echo pong"});
  ASSERT_TRUE(udp.waitFor("receiving on")) << udp.output();
  auto tcp = [](std::vector<std::string> via, const std::string& to) {
    via.insert(via.end(), {"curl", "-s", "-m", "3", "-o", "/dev/null", "http://" + to + "/"});
    return run(via).status == 0;
  };
  auto udpAnswers = [](const std::string& via, const std::string& to) {
    return run({"sh", "-c", "echo ping | " + via + " socat -T3 - UDP4:" + to})
               .out.find("pong") != std::string::npos;
  };
  const std::vector<std::string> fromClient = {"ip", "netns", "exec", client};
  EXPECT_TRUE(tcp(fromClient, "192.0.2.33:8084"));
  EXPECT_TRUE(tcp({}, "127.0.0.1:8084"));
  EXPECT_TRUE(udpAnswers("ip netns exec " + client, "192.0.2.33:5354")) << udp.output();
  EXPECT_TRUE(udpAnswers("", "127.0.0.1:5354")) << udp.output();
  // Docker's embedded DNS, from a docker exec process.
  std::string peerIp =
      docker_.inspect(peer, "{{(index .NetworkSettings.Networks \"" + net + "\").IPAddress}}");
  Result dns = docker_.cli({"exec", web, "nslookup", peer, "127.0.0.11"});
  EXPECT_NE(dns.out.find(peerIp), std::string::npos)
      << dns.out << docker_.cli({"exec", web, "cat", "/etc/resolv.conf"}).out;
  // Out to a client behind the host.
  Background server({"ip", "netns", "exec", client, "socat", "-d", "-d",
                     "TCP4-LISTEN:7070,fork,reuseaddr", "SYSTEM:echo hello"});
  ASSERT_TRUE(server.waitFor("listening on")) << server.output();
  Result out = docker_.cli({"exec", web, "nc", "-w", "3", "192.0.2.34", "7070"});
  EXPECT_NE(out.out.find("hello"), std::string::npos) << out.out;

  // Strict: unbound sockets stay outside red.
  EXPECT_FALSE(tcp(fromClient, "192.0.2.33:8085"));
  EXPECT_FALSE(tcp({}, "127.0.0.1:8085"));
  Result strictDns = docker_.cli({"exec", strictWeb, "nslookup", peer, "127.0.0.11"});
  EXPECT_NE(strictDns.out.find(peerIp), std::string::npos) << strictDns.out;
  Result strictOut = docker_.cli({"exec", strictWeb, "nc", "-w", "3", "192.0.2.34", "7070"});
  EXPECT_EQ(strictOut.out.find("hello"), std::string::npos) << strictOut.out;
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
  auto masterOn = [&](const std::string& network) { return masterOnNetwork(docker_, name, network); };
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
  EXPECT_TRUE(waitUntil([&] { return ipJson(name, {"link", "show", "mgmt"}).empty(); }, 10s))
      << d.log();
  EXPECT_EQ(masterOn(a), "blue");
  EXPECT_EQ(masterOn(b), "green");
  EXPECT_TRUE(logSays(d, "(network " + a + ")")) << d.log();
}

}  // namespace
}  // namespace netvrf::test
