// Attaching a namespace to a VRF from outside (attach/inside), on real kernel objects: a
// "container" namespace joined by two veth pairs to a peer namespace whose address
// 198.51.100.10 is reachable only through the container's routes. AttachKernel.* needs VRF
// support (scripts/test runs them in the VM); AttachTest.* runs on the host's kernel.
// Everything is checked with iproute2's own JSON output.
#include <gtest/gtest.h>
#include <linux/rtnetlink.h>

#include <algorithm>
#include <iterator>
#include <nlohmann/json.hpp>

#include "attach/inside.hpp"
#include "harness.hpp"
#include "netlink/in_netns.hpp"
#include "netlink/nl_error.hpp"
#include "netlink/nl_handle.hpp"

namespace netvrf::test {
namespace {

using nlohmann::json;

// `actual` has everything `pattern` has (objects: every key, recursively; arrays: same length,
// element by element).
bool matches(const json& actual, const json& pattern) {
  if (pattern.is_object()) {
    if (!actual.is_object()) return false;
    for (auto& [k, v] : pattern.items())
      if (!actual.contains(k) || !matches(actual[k], v)) return false;
    return true;
  }
  if (pattern.is_array()) {
    if (!actual.is_array() || actual.size() != pattern.size()) return false;
    for (size_t i = 0; i < pattern.size(); ++i)
      if (!matches(actual[i], pattern[i])) return false;
    return true;
  }
  return actual == pattern;
}

// What is in one state and not the other, for a readable failure.
std::vector<std::string> difference(const std::vector<std::string>& a,
                                    const std::vector<std::string>& b) {
  std::vector<std::string> out;
  std::set_symmetric_difference(a.begin(), a.end(), b.begin(), b.end(), std::back_inserter(out));
  return out;
}

bool hasEntry(const json& list, const json& pattern) {
  for (const auto& e : list)
    if (matches(e, pattern)) return true;
  return false;
}

class AttachTest : public ::testing::Test {
 protected:
  void SetUp() override {
    NETVRF_REQUIRE(missingRoot());
    ns_ = newNetns();
    peer_ = newNetns();
    // container eth0/eth1 <-> peer p0/p1
    inNs(ns_, {"ip", "link", "set", "lo", "up"});
    inNs(peer_, {"ip", "link", "set", "lo", "up"});
    for (const char* pair : {"0", "1"}) {
      inNs(ns_, {"ip", "link", "add", std::string("eth") + pair, "type", "veth", "peer", "name",
                 std::string("p") + pair});
      moveLink(ns_, std::string("p") + pair, peer_);
    }
    // eth0 keeps duplicate address detection, as Docker's interfaces do; eth1 has none.
    for (auto cmd : std::vector<std::vector<std::string>>{
             {"ip", "addr", "add", "203.0.113.2/28", "dev", "eth0"},
             {"ip", "addr", "add", "2001:db8:1::2/64", "dev", "eth0"},
             {"ip", "addr", "add", "203.0.113.18/28", "dev", "eth1"},
             {"ip", "addr", "add", "2001:db8:2::2/64", "dev", "eth1", "nodad"},
             {"ip", "link", "set", "eth0", "up"},
             {"ip", "link", "set", "eth1", "up"}})
      inNs(ns_, cmd);
    for (auto cmd : std::vector<std::vector<std::string>>{
             {"ip", "addr", "add", "198.51.100.10/32", "dev", "lo"},
             {"ip", "addr", "add", "2001:db8:99::10/128", "dev", "lo"},
             {"ip", "addr", "add", "203.0.113.1/28", "dev", "p0"},
             {"ip", "addr", "add", "2001:db8:1::1/64", "dev", "p0", "nodad"},
             {"ip", "addr", "add", "203.0.113.17/28", "dev", "p1"},
             {"ip", "addr", "add", "2001:db8:2::1/64", "dev", "p1", "nodad"},
             {"ip", "link", "set", "p0", "up"},
             {"ip", "link", "set", "p1", "up"}})
      inNs(peer_, cmd);
    ASSERT_TRUE(waitUntil([&] { return !tentative(); })) << "DAD never finished";
    // Routes of every kind attach must carry over: defaults with gateways, multipath (IPv4 and
    // IPv6), and a route through a device with no connected prefix for it.
    for (auto cmd : std::vector<std::vector<std::string>>{
             {"ip", "route", "add", "default", "via", "203.0.113.1", "dev", "eth0"},
             {"ip", "-6", "route", "add", "default", "via", "2001:db8:1::1", "dev", "eth0"},
             {"ip", "route", "add", "198.51.100.0/25", "nexthop", "via", "203.0.113.1", "dev",
              "eth0", "nexthop", "via", "203.0.113.17", "dev", "eth1"},
             {"ip", "-6", "route", "add", "2001:db8:99::/48", "nexthop", "via", "2001:db8:1::1",
              "dev", "eth0", "nexthop", "via", "2001:db8:2::1", "dev", "eth1"},
             {"ip", "route", "add", "198.51.100.200/32", "dev", "eth1", "metric", "50"}})
      inNs(ns_, cmd);
    // The peer answers through its own routes back.
    inNs(peer_, {"ip", "route", "add", "default", "via", "203.0.113.2", "dev", "p0"});
  }

  static void inNs(const Fd& ns, const std::vector<std::string>& argv) {
    Result r = runInNetns(ns.get(), [&] { return run(argv); });
    ASSERT_EQ(r.status, 0) << argv[0] << " " << argv[1] << " " << argv[2] << ": " << r.out;
  }
  static Result tryInNs(const Fd& ns, const std::vector<std::string>& argv) {
    return runInNetns(ns.get(), [&] { return run(argv); });
  }
  static void moveLink(const Fd& from, const std::string& name, const Fd& to) {
    runInNetns(from.get(), [&] {
      NlSocket sock = connectRoute();
      rtnl_link* raw = nullptr;
      checkNl(rtnl_link_get_kernel(sock.get(), 0, name.c_str(), &raw), "find " + name);
      LinkPtr link(raw);
      LinkPtr change(rtnl_link_alloc());
      rtnl_link_set_ns_fd(change.get(), to.get());
      checkNl(rtnl_link_change(sock.get(), link.get(), change.get(), 0), "move " + name);
    });
  }
  json ipJson(const std::vector<std::string>& args) {
    std::vector<std::string> argv{"ip", "-j"};
    argv.insert(argv.end(), args.begin(), args.end());
    Result r = tryInNs(ns_, argv);
    // A dump that raced with a change (DAD finishing, say) is incomplete: iproute2 says "Dump
    // was interrupted and may be inconsistent." on stderr, and the dump is to be asked again.
    for (int i = 0; i < 10 && r.out.find("Dump was interrupted") != std::string::npos; ++i)
      r = tryInNs(ns_, argv);
    if (r.status != 0 && r.out.find("does not exist") != std::string::npos) return json::array();
    EXPECT_EQ(r.status, 0) << r.out;
    return r.out.empty() ? json::array() : json::parse(r.out);
  }
  bool tentative() {
    return ipJson({"-6", "addr", "show"}).dump().find("tentative") != std::string::npos;
  }
  std::string sysctl(const std::string& key) {
    Result r = tryInNs(ns_, {"cat", "/proc/sys/net/ipv4/" + key});
    return r.out.substr(0, r.out.find('\n'));
  }
  // Everything attach and detach touch, in a form that compares equal when nothing changed:
  // links with their masters, addresses, routes of every table, rules, the accept sysctls.
  // IPv6 link-local addresses and their routes are left out: the kernel remakes them.
  std::vector<std::string> state() {
    std::vector<std::string> out;
    for (auto& l : ipJson({"-d", "link", "show"}))
      out.push_back("link " + l["ifname"].get<std::string>() + " master " +
                    l.value("master", std::string("-")) + " alias " +
                    l.value("ifalias", std::string("-")));
    for (auto& l : ipJson({"addr", "show"}))
      for (auto& a : l["addr_info"])
        if (a["local"].get<std::string>().rfind("fe80", 0) != 0)
          out.push_back("addr " + l["ifname"].get<std::string>() + " " +
                        a["local"].get<std::string>() + "/" + a["prefixlen"].dump());
    for (const char* family : {"-4", "-6"}) {
      for (auto& r : ipJson({family, "route", "show", "table", "all"})) {
        r.erase("expires");
        r.erase("pref");
        std::string s = r.dump();
        if (s.find("fe80") == std::string::npos) out.push_back(std::string("route ") + s);
      }
      for (auto& r : ipJson({family, "rule", "show"}))
        out.push_back(std::string("rule ") + family + " " + r.dump());
    }
    out.push_back("tcp_l3mdev_accept " + sysctl("tcp_l3mdev_accept"));
    out.push_back("udp_l3mdev_accept " + sysctl("udp_l3mdev_accept"));
    std::sort(out.begin(), out.end());
    return out;
  }
  // Routes of one table, as iproute2 prints them with `ip route show vrf red`.
  json vrfRoutes(const char* family) { return ipJson({family, "route", "show", "table", "1001"}); }

  InsideResult attach(InsideRequest req, const StepHook& hook = {}) {
    return runInNetns(ns_.get(), [&] { return attachInside(connectRoute().get(), req, hook); });
  }
  InsideDetachResult detach(std::optional<std::string> vrf = std::nullopt) {
    return runInNetns(ns_.get(), [&] { return detachInside(connectRoute().get(), vrf); });
  }
  std::string attachError(InsideRequest req, const StepHook& hook = {}) {
    try {
      attach(req, hook);
    } catch (const VrfError& e) {
      return e.what();
    }
    return "";
  }
  static InsideRequest red() {
    InsideRequest req;
    req.vrf = "red";
    req.table = 1001;
    return req;
  }
  // An unmodified process in the container (it binds to nothing) talks to the peer.
  bool pingPeer() {
    return tryInNs(ns_, {"busybox", "ping", "-c", "1", "-W", "2", "198.51.100.10"}).status == 0 &&
           tryInNs(ns_, {"busybox", "ping", "-c", "1", "-W", "2", "2001:db8:99::10"}).status == 0;
  }

  Fd ns_, peer_;
};

class AttachKernel : public AttachTest {
 protected:
  void SetUp() override {
    NETVRF_REQUIRE(missingVrf());
    AttachTest::SetUp();
  }
};

TEST_F(AttachKernel, MovesEveryAddressAndRouteIntoTheVrf) {
  std::vector<std::string> before = state();
  InsideResult r = attach(red());
  EXPECT_TRUE(r.vrfCreated);
  EXPECT_EQ(r.interfaces, (std::vector<std::string>{"eth0", "eth1"}));
  EXPECT_EQ(r.routesMoved, 5u);

  for (const char* dev : {"eth0", "eth1"})
    EXPECT_EQ(ipJson({"link", "show", dev})[0].value("master", ""), "red") << dev;
  json addrs = ipJson({"addr", "show"});
  for (const char* a : {"203.0.113.2", "2001:db8:1::2", "203.0.113.18", "2001:db8:2::2"})
    EXPECT_NE(addrs.dump().find(std::string("\"") + a + "\""), std::string::npos) << a;

  json v4 = vrfRoutes("-4"), v6 = vrfRoutes("-6");
  for (const json& want :
       {json{{"dst", "default"}, {"gateway", "203.0.113.1"}, {"dev", "eth0"}},
        json{{"dst", "198.51.100.0/25"},
             {"nexthops",
              {{{"gateway", "203.0.113.1"}, {"dev", "eth0"}},
               {{"gateway", "203.0.113.17"}, {"dev", "eth1"}}}}},
        json{{"dst", "198.51.100.200"}, {"dev", "eth1"}, {"metric", 50}},
        json{{"dst", "default"}, {"type", "unreachable"}, {"metric", 4278198272u}}})
    EXPECT_TRUE(hasEntry(v4, want)) << want.dump() << " not in " << v4.dump();
  for (const json& want : {json{{"dst", "default"}, {"gateway", "2001:db8:1::1"}, {"dev", "eth0"}},
                           json{{"dst", "2001:db8:99::/48"},
                                {"nexthops",
                                 {{{"gateway", "2001:db8:1::1"}, {"dev", "eth0"}},
                                  {{"gateway", "2001:db8:2::1"}, {"dev", "eth1"}}}}},
                           json{{"dst", "2001:db8:1::2"}, {"type", "local"}},
                           json{{"dst", "2001:db8:2::/64"}, {"dev", "eth1"}}})
    EXPECT_TRUE(hasEntry(v6, want)) << want.dump() << " not in " << v6.dump();
  // Nothing is left in the main table through the enslaved interfaces.
  for (const char* family : {"-4", "-6"})
    for (auto& route : ipJson({family, "route", "show", "table", "main"}))
      EXPECT_EQ(route.dump().find("eth"), std::string::npos) << route.dump();

  for (const char* family : {"-4", "-6"}) {
    json rules = ipJson({family, "rule", "show"});
    EXPECT_TRUE(hasEntry(rules, {{"priority", 2000}, {"table", "1001"}})) << rules.dump();
  }
  EXPECT_EQ(sysctl("tcp_l3mdev_accept"), "1");
  EXPECT_EQ(sysctl("udp_l3mdev_accept"), "1");
  EXPECT_NE(state(), before);
}

TEST_F(AttachKernel, AnUnmodifiedProcessReachesItsPeerThroughTheVrf) {
  ASSERT_TRUE(pingPeer()) << "the setup itself is broken";
  attach(red());
  EXPECT_TRUE(pingPeer());
  // TCP both ways: the container's unbound client to the peer, and the peer to the
  // container's unbound server (busybox nc listens on every address of both families).
  auto exchange = [&](const Fd& serverNs, const Fd& clientNs, const std::string& to) {
    std::thread s([&] {
      tryInNs(serverNs,
              {"timeout", "20", "busybox", "nc", "-l", "-p", "5001", "-e", "/bin/echo", "pong"});
    });
    Result r;
    for (int i = 0; i < 100; ++i) {  // until the server listens
      r = tryInNs(clientNs, {"timeout", "10", "busybox", "nc", "-w", "5", to, "5001"});
      if (r.status == 0 && !r.out.empty()) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    s.join();
    return r.out;
  };
  EXPECT_EQ(exchange(peer_, ns_, "198.51.100.10"), "pong\n");
  EXPECT_EQ(exchange(ns_, peer_, "203.0.113.2"), "pong\n");
  EXPECT_EQ(exchange(ns_, peer_, "2001:db8:1::2"), "pong\n");
}

TEST_F(AttachKernel, StrictLeavesUnboundProcessesOutside) {
  InsideRequest req = red();
  req.strict = true;
  attach(req);
  EXPECT_FALSE(pingPeer());
  // A process that binds to the VRF still gets through.
  EXPECT_EQ(
      tryInNs(ns_, {"busybox", "ping", "-I", "red", "-c", "1", "-W", "2", "198.51.100.10"}).status,
      0);
  EXPECT_EQ(ipJson({"rule", "show"}).dump().find("\"priority\":2000"), std::string::npos);
}

TEST_F(AttachKernel, DetachRestoresTheOriginalState) {
  std::vector<std::string> before = state();
  attach(red());
  InsideDetachResult d = detach();
  EXPECT_EQ(d.vrfs, std::vector<std::string>{"red"});
  EXPECT_EQ(d.vrfsDeleted, std::vector<std::string>{"red"});
  EXPECT_EQ(d.interfaces, (std::vector<std::string>{"eth0", "eth1"}));
  std::vector<std::string> after;
  waitUntil([&] { return (after = state()) == before; }, std::chrono::seconds(5));
  EXPECT_EQ(difference(after, before), std::vector<std::string>{});
  EXPECT_TRUE(pingPeer());
  EXPECT_TRUE(detach().vrfs.empty()) << "detaching twice is detaching once";
}

TEST_F(AttachKernel, AttachTwiceIsAttachOnce) {
  attach(red());
  std::vector<std::string> once = state();
  InsideResult again = attach(red());
  EXPECT_FALSE(again.vrfCreated);
  EXPECT_EQ(again.routesMoved, 0u);
  EXPECT_EQ(again.interfaces, (std::vector<std::string>{"eth0", "eth1"}));
  EXPECT_EQ(difference(state(), once), std::vector<std::string>{});
}

TEST_F(AttachKernel, AFailureHalfWayRollsEverythingBack) {
  std::vector<std::string> before = state();
  std::vector<std::string> seen;
  std::string error = attachError(red(), [&](const std::string& step) {
    seen.push_back(step);
    if (step.rfind("send lookups", 0) == 0) throw std::runtime_error("injected");
  });
  EXPECT_EQ(error,
            "attach to VRF red: send lookups of unbound sockets to table 1001 failed: injected; "
            "rolled back");
  EXPECT_EQ(seen,
            (std::vector<std::string>{"create VRF red (table 1001)", "move eth0, eth1 into VRF red",
                                      "accept connections through VRF red on unbound sockets",
                                      "send lookups of unbound sockets to table 1001"}));
  std::vector<std::string> after;
  waitUntil([&] { return (after = state()) == before; }, std::chrono::seconds(5));
  EXPECT_EQ(difference(after, before), std::vector<std::string>{});
  EXPECT_TRUE(pingPeer());
}

TEST_F(AttachKernel, BadRequestsAreClearErrorsAndChangeNothing) {
  inNs(ns_, {"ip", "link", "add", "br0", "type", "bridge"});
  inNs(ns_, {"ip", "link", "add", "d0", "type", "dummy"});
  inNs(ns_, {"ip", "link", "set", "d0", "master", "br0"});
  inNs(ns_, {"ip", "link", "add", "blue", "type", "vrf", "table", "1002"});
  std::vector<std::string> before = state();
  auto with = [](std::vector<std::string> ifs, uint64_t table = 1001, std::string vrf = "red") {
    InsideRequest req;
    req.vrf = vrf;
    req.table = table;
    req.interfaces = ifs;
    return req;
  };
  EXPECT_EQ(attachError(with({"lo"})), "lo is the loopback interface; it cannot be enslaved");
  EXPECT_EQ(attachError(with({"blue"})), "blue is a VRF; it cannot be enslaved");
  EXPECT_EQ(attachError(with({"d0"})), "d0 is a port of br0; release it first");
  EXPECT_EQ(attachError(with({"eth9"})), "no interface eth9 in this namespace");
  EXPECT_EQ(attachError(with({"eth0"})),
            "route 198.51.100.0/25 nexthop via 203.0.113.1 dev eth0 nexthop via 203.0.113.17 "
            "dev eth1 also leaves through other interfaces; name all its interfaces");
  EXPECT_EQ(attachError(with({}, 255)),
            "VRF red: table 255 is reserved (253 default, 254 main, 255 local)");
  EXPECT_EQ(attachError(with({}, 1002)), "VRF red: table 1002 is in use by VRF blue");
  EXPECT_EQ(attachError(with({}, 1003, "blue")), "VRF blue exists with table 1002, not 1003");
  EXPECT_EQ(attachError(with({}, 1001, "a-very-long-name")),
            "VRF a-very-long-name: the interface name 'a-very-long-name' is 16 bytes long (at "
            "most 15)");
  EXPECT_EQ(difference(state(), before), std::vector<std::string>{});
  // A second VRF may not take the unbound sockets from the first one.
  attach(with({"eth0", "eth1"}));
  before = state();
  EXPECT_EQ(attachError(with({"br0"}, 1003, "green")),
            "unbound sockets in this namespace already use table 1001; attach VRF green as "
            "strict");
  EXPECT_EQ(difference(state(), before), std::vector<std::string>{});
}

TEST_F(AttachTest, MissingVrfSupportIsNamedAndChangesNothing) {
  NETVRF_REQUIRE(missingVrfFreeKernel());
  std::vector<std::string> before = state();
  EXPECT_EQ(attachError(red()),
            "attach to VRF red: create VRF red (table 1001) failed: VRF red: this kernel has no "
            "VRF support (CONFIG_NET_VRF); rolled back");
  EXPECT_EQ(difference(state(), before), std::vector<std::string>{});
}

}  // namespace
}  // namespace netvrf::test
