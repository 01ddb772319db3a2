// netvrf, the CNI plugin, run as a runtime runs it (tests/support/cni_runner.hpp) after
// Debian's own bridge and host-local plugins, in namespaces the test makes. CniPlugin.* on the
// host (no VRF support: code 100 and nothing changed; pass-through; DEL), CniKernel.* in the VM
// with real VRFs (tests/vm, in VrfKernel.vm's boot).
#include <arpa/inet.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "cni_fixture.hpp"

namespace netvrf::test {
namespace {

using nlohmann::json;

using CniPlugin = CniFixture;

TEST_F(CniPlugin, VersionListsWhatItSpeaks) {
  CniChain c = chain(conflist({}));
  CniCall v = c.call("VERSION", {{"cniVersion", "0.4.0"}, {"type", "netvrf"}}, inv_);
  ASSERT_TRUE(v.ok()) << v.stderrText;
  EXPECT_EQ(v.out["supportedVersions"], json({"0.3.0", "0.3.1", "0.4.0", "1.0.0"}));
}

TEST_F(CniPlugin, WithoutAVrfItPassesTheResultThroughAndChangesNothing) {
  for (std::string version : {"0.4.0", "1.0.0"}) {
    SCOPED_TRACE(version);
    json list = conflist({}, false, false, version);
    Step s = netvrfAfterBridge(list);
    ASSERT_TRUE(s.bridge.ok()) << s.bridge.stdoutText << s.bridge.stderrText;
    const CniCall& n = s.netvrf;
    ASSERT_TRUE(n.ok()) << n.stdoutText << n.stderrText;
    EXPECT_EQ(n.out, s.bridge.out) << "the result changed";
    EXPECT_EQ(state(), s.before);
    EXPECT_TRUE(n.stderrText.empty()) << n.stderrText;
    ASSERT_TRUE(bridgeOf(list).del(inv_).ok());
  }
}

TEST_F(CniPlugin, WithoutVrfSupportAddFailsWithCode100AndChangesNothing) {
  NETVRF_REQUIRE(missingVrfFreeKernel());
  json list = conflist({{"vrf", "red"}});
  Step s = netvrfAfterBridge(list);
  ASSERT_TRUE(s.bridge.ok()) << s.bridge.stdoutText << s.bridge.stderrText;
  const CniCall& n = s.netvrf;
  EXPECT_NE(n.status, 0);
  EXPECT_EQ(n.out["code"], 100) << n.stdoutText;
  EXPECT_EQ(n.out["cniVersion"], "1.0.0");
  EXPECT_NE(n.out.value("msg", "").find("no VRF support"), std::string::npos) << n.stdoutText;
  EXPECT_EQ(std::count(n.stderrText.begin(), n.stderrText.end(), '\n'), 1) << n.stderrText;
  EXPECT_EQ(state(), s.before) << "a failed ADD changed the namespace";
  EXPECT_EQ(tablesFile().find("red"), std::string::npos) << "a table stayed handed out";
  // The runtime cleans up after a failed ADD with DEL: it succeeds, and again.
  CniChain full = chain(list);
  EXPECT_TRUE(full.del(inv_).ok());
  EXPECT_TRUE(full.del(inv_).ok());
}

TEST_F(CniPlugin, DelSucceedsWhenTheNamespaceIsGoneStaleOrNotGiven) {
  CniChain c = chain(conflist({{"vrf", "red"}}));
  CniInvocation none = inv_;
  none.netns = "";
  CniCall d = c.call("DEL", c.configFor(1, nullptr, {}), none);
  EXPECT_TRUE(d.ok()) << d.stdoutText << d.stderrText;
  CniInvocation gone = inv_;
  gone.netns = "/var/run/netns/nvcni-never-there";
  d = c.call("DEL", c.configFor(1, nullptr, {}), gone);
  EXPECT_TRUE(d.ok()) << d.stdoutText << d.stderrText;
  // ADD and CHECK need it: the spec's code 3, the container is unknown.
  CniCall a = c.call("ADD", c.configFor(1, nullptr, {}), gone);
  EXPECT_EQ(a.out["code"], 3) << a.stdoutText;
  // An entry whose mount is gone (a reboot): a plain file, no namespace. DEL gets past it.
  CniInvocation stale = inv_;
  stale.netns = dir_.path() + "/stale-netns";
  std::ofstream(stale.netns).put('\n');
  d = c.call("DEL", c.configFor(1, nullptr, {}), stale);
  EXPECT_TRUE(d.ok()) << d.stdoutText << d.stderrText;
  a = c.call("ADD", c.configFor(1, nullptr, {}), stale);
  EXPECT_EQ(a.out["code"], 3) << a.stdoutText;
}

TEST_F(CniPlugin, BadConfigurationIsCode7InOneLineAndChangesNothing) {
  std::string before = state();
  CniChain c = chain(conflist({{"vrf", "red"}}));
  CniInvocation inv = inv_;
  json rc = {{"io.kubernetes.cri.pod-annotations", {{"netvrf.vrf", "bad name"}}}};
  CniCall a = c.call("ADD", c.configFor(1, nullptr, rc), inv);
  EXPECT_EQ(a.out["code"], 7) << a.stdoutText;
  EXPECT_NE(a.out.value("msg", "").find("pod annotation netvrf.vrf"), std::string::npos)
      << a.stdoutText;
  EXPECT_EQ(std::count(a.stderrText.begin(), a.stderrText.end(), '\n'), 1) << a.stderrText;
  EXPECT_EQ(state(), before);
}

TEST_F(CniKernel, AddPutsThePodsInterfaceIntoTheVrfWithItsRoutesAndCheckAndDelFollow) {
  CniChain c = chain(conflist({{"vrf", "red"}}, /*ipv6=*/true));
  CniCall a = c.add(inv_);
  ASSERT_TRUE(a.ok()) << a.plugin << ": " << a.stdoutText << a.stderrText;
  EXPECT_TRUE(a.stderrText.empty()) << a.stderrText;

  // The result: the bridge's, with the VRF added last (the ips' interface indexes hold).
  json last = a.out["interfaces"].back();
  EXPECT_EQ(last["name"], "red");
  EXPECT_EQ(last["sandbox"], netns_);
  EXPECT_EQ(a.out["ips"].size(), 2u) << a.stdoutText;

  std::string table = sh("ip -n " + nsName_ + " -d link show red | grep -o 'table [0-9]*'");
  ASSERT_NE(table.find("table 1001"), std::string::npos) << table;  // the first free one
  EXPECT_NE(in("link show eth0").find("master red"), std::string::npos);
  std::string v4 = in("route show vrf red");
  EXPECT_NE(v4.find("default via 192.0.2.1 dev eth0"), std::string::npos) << v4;
  EXPECT_NE(v4.find("198.51.100.0/24 via 192.0.2.254 dev eth0"), std::string::npos) << v4;
  std::string v6 = in("-6 route show vrf red");
  EXPECT_NE(v6.find("default via 2001:db8:1::1 dev eth0"), std::string::npos) << v6;
  EXPECT_NE(in("-6 addr show dev eth0").find("2001:db8:1::"), std::string::npos)
      << "the IPv6 address went with the move";
  EXPECT_EQ(in("route show default"), "") << "the default route stayed in the main table";
  EXPECT_NE(in("rule").find("2000:\tfrom all lookup 1001"), std::string::npos) << in("rule");
  EXPECT_EQ(sh("ip netns exec " + nsName_ + " sysctl -n net.ipv4.tcp_l3mdev_accept"), "1\n");
  EXPECT_NE(sh("cat " + dir_.path() + "/tables.json").find("\"red\": 1001"), std::string::npos);

  CniCall ok = checkNetvrf(c, inv_);
  EXPECT_TRUE(ok.ok()) << ok.stdoutText << ok.stderrText;
  // bridge's own CHECK fails once its routes have moved: what a user of the whole chain's CHECK
  // sees (README). If it stops failing, the README is wrong.
  CniCall chainCheck = c.check(inv_);
  EXPECT_EQ(chainCheck.plugin, "bridge");
  EXPECT_FALSE(chainCheck.ok());
  // Someone takes eth0 out of the VRF: CHECK says so.
  ASSERT_EQ(run({"ip", "-n", nsName_, "link", "set", "eth0", "nomaster"}).status, 0);
  CniCall bad = checkNetvrf(c, inv_);
  EXPECT_EQ(bad.out["code"], 103) << bad.stdoutText;
  EXPECT_NE(bad.out.value("msg", "").find("eth0 is not enslaved to VRF red"), std::string::npos)
      << bad.stdoutText;
  ASSERT_EQ(run({"ip", "-n", nsName_, "link", "set", "eth0", "master", "red"}).status, 0);

  CniCall d = c.del(inv_);
  EXPECT_TRUE(d.ok()) << d.plugin << ": " << d.stdoutText << d.stderrText;
  EXPECT_EQ(vrfs(), "") << "the VRF netvrf made is gone";
  EXPECT_TRUE(c.del(inv_).ok()) << "DEL again";
}

TEST_F(CniKernel, UnmodifiedProgramsTalkBothWaysThroughTheVrf) {
  CniChain c = chain(conflist({{"vrf", "red"}}, false, /*gateway=*/true));
  CniCall a = c.add(inv_);
  ASSERT_TRUE(a.ok()) << a.plugin << ": " << a.stdoutText << a.stderrText;
  std::string podIp = a.out["ips"][0]["address"].get<std::string>();
  podIp = podIp.substr(0, podIp.find('/'));
  Fd ns = nsFd();
  Fd host(open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC));
  // Into the pod: a server bound to no VRF accepts (tcp_l3mdev_accept).
  Fd podServer = listenIn(ns.get(), "0.0.0.0", 8080);
  EXPECT_TRUE(talk(host.get(), podServer, podIp, 8080)) << "the host could not reach the pod";
  // Out of the pod: a client bound to no VRF is routed by the VRF's table (the rule).
  Fd hostServer = listenIn(host.get(), "192.0.2.1", 8081);
  EXPECT_TRUE(talk(ns.get(), hostServer, "192.0.2.1", 8081)) << "the pod could not reach out";
  EXPECT_TRUE(c.del(inv_).ok());
}

TEST_F(CniKernel, ThePodAnnotationChoosesTheVrf) {
  CniChain c = chain(conflist({{"vrf", "red"}}));
  CniInvocation inv = inv_;
  inv.runtimeConfig = {{"io.kubernetes.cri.pod-annotations", {{"netvrf.vrf", "blue"}}}};
  CniCall a = c.add(inv);
  ASSERT_TRUE(a.ok()) << a.plugin << ": " << a.stdoutText << a.stderrText;
  EXPECT_NE(in("link show eth0").find("master blue"), std::string::npos);
  EXPECT_EQ(a.out["interfaces"].back()["name"], "blue");
  CniCall ok = checkNetvrf(c, inv);
  EXPECT_TRUE(ok.ok()) << ok.stdoutText;
  EXPECT_TRUE(c.del(inv).ok());
  EXPECT_EQ(vrfs(), "");
}

TEST_F(CniKernel, ATakenTableIsCode101AndChangesNothing) {
  // Table 1100 is another VRF's in this namespace.
  ASSERT_EQ(
      run({"ip", "-n", nsName_, "link", "add", "other", "type", "vrf", "table", "1100"}).status, 0);
  Step s = netvrfAfterBridge(conflist({{"vrf", "red"}, {"table", 1100}}));
  ASSERT_TRUE(s.bridge.ok()) << s.bridge.stdoutText << s.bridge.stderrText;
  EXPECT_EQ(s.netvrf.out["code"], 101) << s.netvrf.stdoutText;
  EXPECT_NE(s.netvrf.out.value("msg", "").find("1100"), std::string::npos) << s.netvrf.stdoutText;
  EXPECT_EQ(state(), s.before);
}

TEST_F(CniKernel, EcmpRoutesMoveWithAllTheirNexthops) {
  json list = conflist({{"vrf", "red"}});
  CniCall bridge = bridgeOf(list).add(inv_);
  ASSERT_TRUE(bridge.ok()) << bridge.stdoutText << bridge.stderrText;
  // A route CNI's results cannot express, as another plugin or the pod's own set-up leaves it.
  ASSERT_EQ(run({"ip", "-n", nsName_, "route", "add", "203.0.113.0/24", "nexthop", "via",
                 "192.0.2.252", "dev", "eth0", "nexthop", "via", "192.0.2.253", "dev", "eth0"})
                .status,
            0);
  CniChain c = chain(list);
  CniCall a = c.call("ADD", c.configFor(1, bridge.out, {}), inv_);
  ASSERT_TRUE(a.ok()) << a.stdoutText << a.stderrText;
  std::string moved = in("route show vrf red 203.0.113.0/24");
  EXPECT_NE(moved.find("nexthop via 192.0.2.252 dev eth0"), std::string::npos) << moved;
  EXPECT_NE(moved.find("nexthop via 192.0.2.253 dev eth0"), std::string::npos) << moved;
  EXPECT_EQ(in("route show 203.0.113.0/24"), "") << "it stayed in the main table";
  EXPECT_TRUE(c.del(inv_).ok());
}

// A step that fails after the VRF exists and the interface is in it with its routes: the pod's
// /proc/sys is read-only to the plugin (as inside a container with a read-only /proc/sys), so
// the step that turns on the accept sysctls fails. (keep_addr_on_down, which the move sets, is
// on already.) Code 102, everything rolled back, and the runtime's DEL after it is clean.
TEST_F(CniKernel, AnAddFailingHalfWayIsRolledBackAndDelIsStillClean) {
  std::string plugins = dir_.path() + "/plugins";
  std::filesystem::create_directory(plugins);
  {
    std::ofstream w(plugins + "/netvrf");
    w << "#!/bin/sh\nexec unshare --mount sh -c "
         "'mount --bind -o ro /proc/sys /proc/sys && exec \"$0\"' "
      << netvrfPluginDir() << "/netvrf\n";
  }
  std::filesystem::permissions(plugins + "/netvrf", std::filesystem::perms::owner_all);
  ASSERT_EQ(run({"ip", "netns", "exec", nsName_, "sysctl", "-qw",
                 "net.ipv6.conf.default.keep_addr_on_down=1"})
                .status,
            0);
  json list = conflist({{"vrf", "red"}}, /*ipv6=*/true);
  Step s = netvrfAfterBridge(list, plugins);
  ASSERT_TRUE(s.bridge.ok()) << s.bridge.stdoutText << s.bridge.stderrText;
  const CniCall& n = s.netvrf;
  EXPECT_EQ(n.out["code"], 102) << n.stdoutText << n.stderrText;
  std::string msg = n.out.value("msg", "");
  EXPECT_NE(msg.find("accept connections through VRF red"), std::string::npos) << msg;
  EXPECT_NE(msg.find("rolled back"), std::string::npos) << msg;
  EXPECT_EQ(state(), s.before) << "the failed ADD left changes behind";
  EXPECT_EQ(vrfs(), "");
  EXPECT_EQ(tablesFile().find("red"), std::string::npos) << "a table stayed handed out";
  CniChain full = chain(list);
  EXPECT_TRUE(full.del(inv_).ok());
  EXPECT_EQ(in("-o link show type veth"), "") << "bridge's DEL did not run";
  EXPECT_TRUE(full.del(inv_).ok());
}

}  // namespace
}  // namespace netvrf::test
