// netvrf, the CNI plugin, handing its work to a running netvrfd over a private system bus
// ("daemon" in its configuration; AttachSandbox, ReleaseSandbox). CniDelegation.* on the host
// (no netvrfd, no VRF support), CniDelegationKernel.* in the VM with real VRFs.
#include <csignal>
#include <filesystem>
#include <memory>

#include "cni_fixture.hpp"

namespace netvrf::test {
namespace {

class CniDelegation : public CniFixture {
 protected:
  // netvrfd's view of the pod named `name`, or null.
  static json listed(const SystemBus& bus, const std::string& name) {
    Result r = netvrfctl(bus, {"--json", "list"});
    json all = json::parse(r.out, nullptr, false);
    if (all.is_array())
      for (const auto& c : all)
        if (c["name"] == name) return c;
    return nullptr;
  }
  static constexpr const char* kQuiet = R"({"docker": {"enabled": false},
                                             "containerd": {"enabled": false}})";

  // A netvrfd on a private bus; the plugin's invocations name that bus, for pod default_<pod>.
  void startNetvrfd(const std::string& pod) {
    bus_ = std::make_unique<SystemBus>();
    netvrfd_ = std::make_unique<Netvrfd>(kQuiet, std::vector<std::string>{bus_->env()});
    ASSERT_TRUE(netvrfd_->startReady()) << netvrfd_->log();
    inv_.env = {bus_->env()};
    inv_.args = "IgnoreUnknown=1;K8S_POD_NAMESPACE=default;K8S_POD_NAME=" + pod;
  }
  std::unique_ptr<SystemBus> bus_;
  std::unique_ptr<Netvrfd> netvrfd_;  // after the bus: it goes first
};

TEST_F(CniDelegation, RequiredWithoutNetvrfdIsCode11AndChangesNothing) {
  json list = conflist({{"vrf", "red"}, {"daemon", "required"}});
  Step s = netvrfAfterBridge(list);
  ASSERT_TRUE(s.bridge.ok()) << s.bridge.stdoutText << s.bridge.stderrText;
  EXPECT_EQ(s.netvrf.out["code"], 11) << s.netvrf.stdoutText;
  EXPECT_NE(s.netvrf.out.value("msg", "").find("netvrfd is not running"), std::string::npos)
      << s.netvrf.stdoutText;
  EXPECT_EQ(std::count(s.netvrf.stderrText.begin(), s.netvrf.stderrText.end(), '\n'), 1)
      << s.netvrf.stderrText;
  EXPECT_EQ(state(), s.before);
  // A DEL gets past a stopped netvrfd: the plugin does it.
  EXPECT_TRUE(chain(list).del(inv_).ok());
}

TEST_F(CniDelegation, AnUnknownDaemonValueIsCode7) {
  CniChain c = chain(conflist({{"vrf", "red"}, {"daemon", "sometimes"}}));
  CniCall a = c.call("ADD", c.configFor(1, nullptr, {}), inv_);
  EXPECT_EQ(a.out["code"], 7) << a.stdoutText;
  EXPECT_NE(a.out.value("msg", "").find("\"daemon\""), std::string::npos) << a.stdoutText;
}

TEST_F(CniDelegation, WithoutVrfSupportNetvrfdsRefusalIsCode100AndNothingIsFollowed) {
  NETVRF_REQUIRE(missingVrfFreeKernel());
  ASSERT_NO_FATAL_FAILURE(startNetvrfd("nvcni-nosupport"));
  SystemBus& bus = *bus_;
  Netvrfd& d = *netvrfd_;
  Step s = netvrfAfterBridge(conflist({{"vrf", "red"}, {"daemon", "required"}}));
  ASSERT_TRUE(s.bridge.ok()) << s.bridge.stdoutText << s.bridge.stderrText;
  EXPECT_EQ(s.netvrf.out["code"], 100) << s.netvrf.stdoutText;
  EXPECT_NE(s.netvrf.out.value("msg", "").find("netvrfd: "), std::string::npos)
      << s.netvrf.stdoutText;
  EXPECT_EQ(s.netvrf.out.value("details", ""), "org.netvrf1.Error.NotSupported");
  EXPECT_EQ(state(), s.before);
  EXPECT_TRUE(listed(bus, "default_nvcni-nosupport").is_null()) << "a failed ADD stayed followed";
  EXPECT_EQ(d.stop(), 0) << d.log();
}

// With real VRFs (the VM).

class CniDelegationKernel : public CniDelegation {
 protected:
  void SetUp() override {
    NETVRF_REQUIRE(missingVrf());
    CniDelegation::SetUp();
  }
  std::string in(const std::string& command) { return sh("ip -n " + nsName_ + " " + command); }
};

TEST_F(CniDelegationKernel, NetvrfdAttachesThePodShowsItFollowsItAndForgetsItAtDel) {
  ASSERT_NO_FATAL_FAILURE(startNetvrfd("web-1"));
  SystemBus& bus = *bus_;
  Netvrfd& d = *netvrfd_;
  CniChain c = chain(conflist({{"vrf", "red"}, {"daemon", "required"}}, /*ipv6=*/true));
  CniCall a = c.add(inv_);
  ASSERT_TRUE(a.ok()) << a.plugin << ": " << a.stdoutText << a.stderrText << d.log();
  EXPECT_EQ(a.out["interfaces"].back()["name"], "red");
  EXPECT_TRUE(a.out["interfaces"].back().contains("mac")) << a.stdoutText;

  // The same work as the plugin's own: routes v4 and v6, the rule; netvrfd's table files.
  EXPECT_NE(in("link show eth0").find("master red"), std::string::npos);
  std::string v4 = in("route show vrf red");
  EXPECT_NE(v4.find("default via 192.0.2.1 dev eth0"), std::string::npos) << v4;
  EXPECT_NE(v4.find("198.51.100.0/24 via 192.0.2.254 dev eth0"), std::string::npos) << v4;
  EXPECT_NE(in("-6 route show vrf red").find("default via 2001:db8:1::1"), std::string::npos);
  EXPECT_NE(in("rule").find("lookup 1001"), std::string::npos) << in("rule");
  EXPECT_NE(sh("cat " + d.dir() + "/tables.json").find("\"red\": 1001"), std::string::npos);
  EXPECT_EQ(tablesFile().find("red"), std::string::npos) << "the plugin allocated as well";

  // netvrfd shows it, under the pod's name, with the runtime's path of its namespace.
  json pod = listed(bus, "default_web-1");
  ASSERT_FALSE(pod.is_null()) << netvrfctl(bus, {"list"}).out;
  EXPECT_EQ(pod["runtime"], "cni");
  EXPECT_EQ(pod["id"], inv_.containerId);
  EXPECT_EQ(pod["state"], "registered");
  EXPECT_EQ(pod["vrf"], "red");
  EXPECT_EQ(pod["netns"], nsName_);
  CniCall ok = c.call("CHECK", c.configFor(1, c.result(), {}), inv_);
  EXPECT_TRUE(ok.ok()) << ok.stdoutText << ok.stderrText;

  // It follows the pod: an interface taken out of the VRF behind its back goes back.
  ASSERT_EQ(run({"ip", "-n", nsName_, "link", "set", "eth0", "nomaster"}).status, 0);
  EXPECT_TRUE(waitUntil([&] {
    return in("link show eth0").find("master red") != std::string::npos;
  })) << d.log();

  // netvrf's DEL alone first (the whole chain's would delete eth0 after it).
  CniCall del = c.call("DEL", c.configFor(1, c.result(), {}), inv_);
  EXPECT_TRUE(del.ok()) << del.stdoutText << del.stderrText;
  EXPECT_EQ(in("-o link show type vrf"), "") << "the VRF netvrfd made is gone";
  EXPECT_EQ(in("route show default").find("default via 192.0.2.1"), 0u)
      << "the routes went back to the main table: " << in("route show table all");
  EXPECT_TRUE(listed(bus, "default_web-1").is_null()) << "still followed after DEL";
  EXPECT_TRUE(c.del(inv_).ok()) << "the chain's DEL";
  EXPECT_TRUE(c.del(inv_).ok()) << "DEL again";
  EXPECT_EQ(d.stop(), 0) << d.log();
}

TEST_F(CniDelegationKernel, ANamespaceRemovedWithoutDelIsForgotten) {
  ASSERT_NO_FATAL_FAILURE(startNetvrfd("web-2"));
  SystemBus& bus = *bus_;
  Netvrfd& d = *netvrfd_;
  CniChain c = chain(conflist({{"vrf", "red"}}));  // "preferred", the default
  CniCall a = c.add(inv_);
  ASSERT_TRUE(a.ok()) << a.plugin << ": " << a.stdoutText << a.stderrText << d.log();
  ASSERT_FALSE(listed(bus, "default_web-2").is_null()) << "preferred did not use netvrfd";
  // The runtime removes the namespace and never calls DEL (it crashed): netvrfd lets it go.
  ASSERT_EQ(run({"ip", "netns", "del", nsName_}).status, 0);
  nsName_.clear();
  EXPECT_TRUE(waitUntil([&] { return listed(bus, "default_web-2").is_null(); })) << d.log();
  EXPECT_NE(d.log().find("no longer holds its namespace"), std::string::npos) << d.log();
  EXPECT_EQ(d.stop(), 0) << d.log();
}

TEST_F(CniDelegationKernel, AnAddThatFailsInNetvrfdLeavesNothingFollowed) {
  ASSERT_NO_FATAL_FAILURE(startNetvrfd("web-3"));
  SystemBus& bus = *bus_;
  Netvrfd& d = *netvrfd_;
  ASSERT_EQ(
      run({"ip", "-n", nsName_, "link", "add", "other", "type", "vrf", "table", "1100"}).status, 0);
  Step s = netvrfAfterBridge(conflist({{"vrf", "red"}, {"table", 1100}, {"daemon", "required"}}));
  ASSERT_TRUE(s.bridge.ok()) << s.bridge.stdoutText << s.bridge.stderrText;
  EXPECT_EQ(s.netvrf.out["code"], 101) << s.netvrf.stdoutText;
  EXPECT_EQ(state(), s.before);
  EXPECT_TRUE(listed(bus, "default_web-3").is_null()) << "a failed ADD stayed followed";
  EXPECT_EQ(d.stop(), 0) << d.log();
}

// netvrfd stopped (an upgrade) or killed: when it comes back it follows the pod again, from its
// record in the state directory, with what the ADD asked for: listed in its VRF, an interface
// released behind its back put back, and the DEL lets it go, record and all. A pod whose
// namespace went while netvrfd was down is forgotten at its start.
TEST_F(CniDelegationKernel, APodIsFollowedAgainAfterNetvrfdRestarts) {
  ASSERT_NO_FATAL_FAILURE(startNetvrfd("web-4"));
  SystemBus& bus = *bus_;
  Netvrfd& d = *netvrfd_;
  json list = conflist({{"vrf", "red"}, {"daemon", "required"}});
  CniChain c = chain(list);
  CniCall a = c.add(inv_);
  ASSERT_TRUE(a.ok()) << a.plugin << ": " << a.stdoutText << a.stderrText << d.log();
  // A second pod, on the same network, whose namespace goes while netvrfd is down.
  std::string otherNs = nsName_ + "b";
  ASSERT_EQ(run({"ip", "netns", "add", otherNs}).status, 0);
  CniInvocation other = inv_;
  other.netns = "/var/run/netns/" + otherNs;
  other.containerId = inv_.containerId + "b";
  other.args = "IgnoreUnknown=1;K8S_POD_NAMESPACE=default;K8S_POD_NAME=web-5";
  CniChain c2 = chain(list);
  CniCall a2 = c2.add(other);
  ASSERT_TRUE(a2.ok()) << a2.plugin << ": " << a2.stdoutText << a2.stderrText << d.log();
  ASSERT_FALSE(listed(bus, "default_web-5").is_null()) << d.log();

  auto followedInRed = [&] {
    json pod;
    bool ok = waitUntil([&] {
      pod = listed(bus, "default_web-4");
      return !pod.is_null() && pod["vrf"] == "red";
    });
    return ok && pod["runtime"] == "cni" && pod["netns"] == nsName_;
  };
  EXPECT_EQ(d.stop(), 0) << d.log();
  ASSERT_EQ(run({"ip", "netns", "del", otherNs}).status, 0);
  d.start();
  ASSERT_TRUE(d.waitReady()) << d.log();
  EXPECT_TRUE(followedInRed()) << netvrfctl(bus, {"list"}).out << d.log();
  EXPECT_NE(d.log().find("followed again after netvrfd's restart"), std::string::npos) << d.log();
  EXPECT_TRUE(listed(bus, "default_web-5").is_null()) << "a pod gone meanwhile came back";
  EXPECT_NE(d.log().find("/var/run/netns/" + otherNs + " no longer holds its namespace"),
            std::string::npos)
      << d.log();
  ASSERT_EQ(run({"ip", "-n", nsName_, "link", "set", "eth0", "nomaster"}).status, 0);
  EXPECT_TRUE(waitUntil([&] {
    return in("link show eth0").find("master red") != std::string::npos;
  })) << d.log();

  d.signal(SIGKILL);
  d.wait();
  d.start();
  ASSERT_TRUE(d.waitReady()) << d.log();
  EXPECT_TRUE(followedInRed()) << netvrfctl(bus, {"list"}).out << d.log();
  std::string vrfs = in("-o link show type vrf");
  EXPECT_EQ(std::count(vrfs.begin(), vrfs.end(), '\n'), 1) << vrfs;
  EXPECT_NE(vrfs.find(" red: "), std::string::npos) << vrfs;

  CniCall del = c.call("DEL", c.configFor(1, c.result(), {}), inv_);
  EXPECT_TRUE(del.ok()) << del.stdoutText << del.stderrText;
  EXPECT_TRUE(listed(bus, "default_web-4").is_null()) << "still followed after DEL";
  EXPECT_TRUE(std::filesystem::is_empty(d.stateDir() + "/sandboxes")) << "records stayed";
  EXPECT_TRUE(c.del(inv_).ok()) << "the chain's DEL";
  EXPECT_EQ(d.stop(), 0) << d.log();
}

}  // namespace
}  // namespace netvrf::test
