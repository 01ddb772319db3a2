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

#include "cni_runner.hpp"
#include "harness.hpp"
#include "netlink/in_netns.hpp"

namespace netvrf::test {
namespace {

using nlohmann::json;

std::optional<std::string> missingCniPlugins() {
  if (auto r = missingRoot()) return r;
  if (!std::filesystem::exists(std::string(kDebianCniDir) + "/bridge"))
    return std::string("no CNI plugins in ") + kDebianCniDir +
           " (apt-get install containernetworking-plugins)";
  return std::nullopt;
}

std::string sh(const std::string& command) {
  return run({"sh", "-c", command}).out;
}

// A pod's namespace, a bridge for it, and a place for host-local's leases and the table files.
class CniFixture : public ::testing::Test {
 protected:
  void SetUp() override {
    NETVRF_REQUIRE(missingCniPlugins());
    static int n = 0;
    std::string id = std::to_string(getpid() % 100000) + "-" + std::to_string(n++);
    nsName_ = "nvcni" + id;
    bridge_ = "nvcb" + id;
    ASSERT_EQ(run({"ip", "netns", "add", nsName_}).status, 0);
    netns_ = "/var/run/netns/" + nsName_;
    inv_.netns = netns_;
    inv_.containerId = "nvcni-" + id;
  }
  void TearDown() override {
    if (!nsName_.empty()) run({"ip", "netns", "del", nsName_});
    if (!bridge_.empty()) run({"ip", "link", "del", bridge_});
  }

  // bridge + host-local (IPv4, and IPv6 when asked), then netvrf with `netvrf`'s keys.
  json conflist(const json& netvrf, bool ipv6 = false, bool gateway = false,
                const std::string& version = "1.0.0") {
    json ranges =
        json::array({json::array({{{"subnet", "192.0.2.0/24"}, {"gateway", "192.0.2.1"}}})});
    json routes =
        json::array({{{"dst", "0.0.0.0/0"}}, {{"dst", "198.51.100.0/24"}, {"gw", "192.0.2.254"}}});
    if (ipv6) {
      ranges.push_back(
          json::array({{{"subnet", "2001:db8:1::/64"}, {"gateway", "2001:db8:1::1"}}}));
      routes.push_back({{"dst", "::/0"}});
    }
    json plugin = netvrf;
    plugin["type"] = "netvrf";
    plugin["table_file"] = dir_.path() + "/tables.json";
    plugin["rt_tables_file"] = dir_.path() + "/rt_tables.conf";
    plugin["capabilities"] = {{"io.kubernetes.cri.pod-annotations", true}};
    return {{"cniVersion", version},
            {"name", "nvcni"},
            {"plugins",
             {{{"type", "bridge"},
               {"bridge", bridge_},
               {"isGateway", gateway},
               {"ipam",
                {{"type", "host-local"},
                 {"dataDir", dir_.path() + "/ipam"},
                 {"ranges", ranges},
                 {"routes", routes}}}},
              plugin}}};
  }
  CniChain chain(const json& list) { return CniChain(list, {netvrfPluginDir(), kDebianCniDir}); }
  // The list's first plugin alone (bridge with host-local): the pod as netvrf finds it.
  static CniChain bridgeOf(const json& list) {
    return CniChain(json{{"cniVersion", list["cniVersion"]},
                         {"name", list["name"]},
                         {"plugins", {list["plugins"][0]}}},
                    {kDebianCniDir});
  }

  // What the namespace looks like, for "nothing changed".
  std::string state() {
    return sh("ip -n " + nsName_ + " -d -o link | sed 's/ state [A-Z]*//'; ip -n " + nsName_ +
              " route show table all; ip -n " + nsName_ + " rule; ip netns exec " + nsName_ +
              " sysctl net.ipv4.tcp_l3mdev_accept net.ipv4.udp_l3mdev_accept");
  }
  // bridge's ADD alone, then netvrf's on its result: the namespace as bridge left it (`before`)
  // and what netvrf said.
  struct Step {
    CniCall bridge;
    std::string before;
    CniCall netvrf;
  };
  Step netvrfAfterBridge(const json& list) {
    Step s;
    s.bridge = bridgeOf(list).add(inv_);
    if (!s.bridge.ok()) return s;
    s.before = state();
    CniChain c = chain(list);
    s.netvrf = c.call("ADD", c.configFor(1, s.bridge.out, {}), inv_);
    return s;
  }
  std::string tablesFile() {
    std::ifstream in(dir_.path() + "/tables.json");
    return std::string(std::istreambuf_iterator<char>(in), {});
  }

  TempDir dir_;
  std::string nsName_, netns_, bridge_;
  CniInvocation inv_;
};

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

// With real VRFs (the VM).

class CniKernel : public CniFixture {
 protected:
  void SetUp() override {
    NETVRF_REQUIRE(missingVrf());
    CniFixture::SetUp();
  }
  Fd nsFd() { return Fd(open(netns_.c_str(), O_RDONLY | O_CLOEXEC)); }
  std::string in(const std::string& command) { return sh("ip -n " + nsName_ + " " + command); }
  std::string vrfs() { return in("-o link show type vrf"); }
  // netvrf's CHECK with the chain's result. (The chain's whole CHECK stops at bridge's: it
  // looks for its routes in the main table, and they are in the VRF's now. README.)
  CniCall checkNetvrf(CniChain& c, const CniInvocation& inv) {
    return c.call("CHECK", c.configFor(1, c.result(), inv.runtimeConfig), inv);
  }
};

// A TCP listener on `port` (any address) inside `ns`: an unmodified server, bound to no VRF.
Fd listenIn(int ns, const std::string& address, uint16_t port) {
  return runInNetns(ns, [&] {
    Fd s(socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
    int on = 1;
    setsockopt(s.get(), SOL_SOCKET, SO_REUSEADDR, &on, sizeof on);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(port);
    inet_pton(AF_INET, address.c_str(), &a.sin_addr);
    if (bind(s.get(), reinterpret_cast<sockaddr*>(&a), sizeof a) < 0 || listen(s.get(), 4) < 0)
      throw std::runtime_error("cannot listen on " + address);
    return s;
  });
}

// Connects from inside `ns` (an unmodified client: no SO_BINDTODEVICE) and says one byte; true
// when the listener got it.
bool talk(int ns, const Fd& listener, const std::string& address, uint16_t port) {
  Fd client = runInNetns(ns, [&] {
    Fd c(socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
    timeval tv{3, 0};
    setsockopt(c.get(), SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(port);
    inet_pton(AF_INET, address.c_str(), &a.sin_addr);
    if (connect(c.get(), reinterpret_cast<sockaddr*>(&a), sizeof a) < 0) return Fd();
    return c;
  });
  if (!client || write(client.get(), "x", 1) != 1) return false;
  timeval tv{3, 0};
  setsockopt(listener.get(), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  Fd conn(accept4(listener.get(), nullptr, nullptr, SOCK_CLOEXEC));
  if (!conn) return false;
  setsockopt(conn.get(), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  char c = 0;
  return read(conn.get(), &c, 1) == 1 && c == 'x';
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

}  // namespace
}  // namespace netvrf::test
