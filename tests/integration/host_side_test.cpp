// Attaching a container to a VRF of the host (attach/host_side) on real kernel objects: two
// fresh namespaces stand for the host and the container. HostSideKernel.* needs VRF support
// (scripts/test runs them in the VM); HostSideTest.* runs on the host's kernel.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <set>

#include "attach/host_side.hpp"
#include "harness.hpp"
#include "netlink/in_netns.hpp"
#include "netlink/nl_handle.hpp"

namespace netvrf::test {
namespace {

using nlohmann::json;

class HostSideTest : public ::testing::Test {
 protected:
  void SetUp() override {
    NETVRF_REQUIRE(missingRoot());
    host_ = newNetns();
    ctr_ = newNetns();
    for (const Fd* ns : {&host_, &ctr_})
      ASSERT_EQ(in(*ns, {"ip", "link", "set", "lo", "up"}).status, 0);
  }
  static Result in(const Fd& ns, const std::vector<std::string>& argv) {
    return runInNetns(ns.get(), [&] { return run(argv); });
  }
  json ipJson(const Fd& ns, std::vector<std::string> args) {
    args.insert(args.begin(), {"ip", "-j"});
    Result r = in(ns, args);
    return r.status == 0 && !r.out.empty() ? json::parse(r.out) : json::array();
  }
  // The global addresses of `ip -j addr show DEV`, as "203.0.113.1/24".
  static std::set<std::string> addresses(const json& link) {
    std::set<std::string> out;
    for (const auto& l : link)
      for (const auto& a : l["addr_info"])
        if (a.value("scope", "") == "global")
          out.insert(a["local"].get<std::string>() + "/" + a["prefixlen"].dump());
    return out;
  }
  // Links with their masters, global addresses and routes of both namespaces, for "nothing
  // changed" (IPv6 link-local addresses and their routes come and go with the kernel's DAD).
  std::string state() {
    std::string s;
    for (const Fd* ns : {&host_, &ctr_}) {
      s += "|";
      for (const auto& l : ipJson(*ns, {"addr", "show"}))
        s += l["ifname"].get<std::string>() + ">" + l.value("master", "") + " ";
      for (const auto& a : addresses(ipJson(*ns, {"addr", "show"}))) s += a + " ";
      for (const char* family : {"-4", "-6"})
        for (auto r : ipJson(*ns, {family, "route", "show", "table", "all"}))
          if (r.dump().find("fe80") == std::string::npos) s += r.dump();
    }
    return s;
  }
  static HostSideRequest red() {
    HostSideRequest req;
    req.vrf = "red";
    req.table = 1001;
    req.hostIfname = defaultHostIfname("0123456789abcdef", "red");
    req.containerIfname = defaultContainerIfname("red");
    req.addresses = {"203.0.113.10/24", "2001:db8:5::10/64"};
    req.gateways = {"203.0.113.1", "2001:db8:5::1"};
    return req;
  }
  HostSideResult attach(const HostSideRequest& req, const StepHook& hook = {}) {
    return runInNetns(host_.get(),
                      [&] { return attachHostSide(connectRoute().get(), ctr_.get(), req, hook); });
  }
  std::string attachError(const HostSideRequest& req, const StepHook& hook = {}) {
    try {
      attach(req, hook);
    } catch (const VrfError& e) {
      return e.what();
    }
    return "";
  }
  Fd host_, ctr_;
};

class HostSideKernel : public HostSideTest {
 protected:
  void SetUp() override {
    NETVRF_REQUIRE(missingVrf());
    HostSideTest::SetUp();
  }
};

TEST_F(HostSideKernel, GivesTheContainerALegIntoTheHostVrf) {
  HostSideRequest req = red();
  EXPECT_EQ(req.hostIfname.size(), 14u);
  EXPECT_EQ(req.containerIfname, "nv-red");
  HostSideResult r = attach(req);
  EXPECT_TRUE(r.vrfCreated);
  EXPECT_TRUE(r.created);
  EXPECT_EQ(r.defaultRoutes,
            (std::vector<std::string>{"default via 203.0.113.1", "default via 2001:db8:5::1"}));

  json hostEnd = ipJson(host_, {"addr", "show", req.hostIfname});
  ASSERT_EQ(hostEnd.size(), 1u);
  EXPECT_EQ(hostEnd[0].value("master", ""), "red");
  EXPECT_EQ(addresses(hostEnd), (std::set<std::string>{"203.0.113.1/24", "2001:db8:5::1/64"}));
  EXPECT_EQ(addresses(ipJson(ctr_, {"addr", "show", "nv-red"})),
            (std::set<std::string>{"203.0.113.10/24", "2001:db8:5::10/64"}));
  // The host reaches the container only through VRF red; the container through its default.
  EXPECT_EQ(
      in(host_, {"busybox", "ping", "-I", "red", "-c", "1", "-W", "2", "203.0.113.10"}).status, 0);
  EXPECT_NE(in(host_, {"busybox", "ping", "-c", "1", "-W", "1", "203.0.113.10"}).status, 0);
  EXPECT_EQ(in(ctr_, {"busybox", "ping", "-c", "1", "-W", "2", "203.0.113.1"}).status, 0);
  EXPECT_EQ(in(ctr_, {"busybox", "ping", "-c", "1", "-W", "2", "2001:db8:5::1"}).status, 0);

  std::string once = state();
  HostSideResult again = attach(req);
  EXPECT_FALSE(again.created);
  EXPECT_FALSE(again.vrfCreated);
  EXPECT_EQ(state(), once);

  EXPECT_TRUE(runInNetns(
      host_.get(), [&] { return detachHostSide(connectRoute().get(), req.hostIfname, "red"); }));
  EXPECT_TRUE(ipJson(host_, {"link", "show", "red"}).empty());
  EXPECT_TRUE(ipJson(ctr_, {"link", "show", "nv-red"}).empty());
}

TEST_F(HostSideKernel, AContainerWithADefaultRouteKeepsIt) {
  ASSERT_EQ(in(ctr_, {"ip", "link", "add", "d0", "type", "dummy"}).status, 0);
  ASSERT_EQ(in(ctr_, {"ip", "addr", "add", "198.51.100.5/24", "dev", "d0"}).status, 0);
  ASSERT_EQ(in(ctr_, {"ip", "link", "set", "d0", "up"}).status, 0);
  ASSERT_EQ(in(ctr_, {"ip", "route", "add", "default", "via", "198.51.100.1"}).status, 0);
  HostSideRequest req = red();
  req.addresses = {"203.0.113.10/24"};
  req.gateways = {"203.0.113.1"};
  EXPECT_TRUE(attach(req).defaultRoutes.empty());
  std::string routes = ipJson(ctr_, {"route", "show", "default"}).dump();
  EXPECT_NE(routes.find("198.51.100.1"), std::string::npos) << routes;
  EXPECT_EQ(routes.find("203.0.113.1"), std::string::npos) << routes;
}

TEST_F(HostSideKernel, BadInputAndFailuresChangeNothing) {
  ASSERT_EQ(in(ctr_, {"ip", "link", "add", "eth0", "type", "dummy"}).status, 0);
  std::string before = state();
  auto with = [](auto change) {
    HostSideRequest req = red();
    change(req);
    return req;
  };
  EXPECT_EQ(attachError(with([](auto& r) { r.gateways = {"198.51.100.1"}; })),
            "gateway 198.51.100.1 is in the prefix of none of the addresses given");
  EXPECT_EQ(attachError(with([](auto& r) {
              r.gateways = {"203.0.113.1", "203.0.113.2"};
            })),
            "more than one IPv4 gateway");
  EXPECT_EQ(attachError(with([](auto& r) { r.gateways = {"203.0.113.10"}; })),
            "gateway 203.0.113.10 is in the prefix of none of the addresses given");
  EXPECT_EQ(attachError(with([](auto& r) { r.addresses = {"203.0.113.10"}; })),
            "'203.0.113.10' is not an address with a prefix length (203.0.113.10/24)");
  EXPECT_EQ(attachError(with([](auto& r) { r.addresses = {}; })),
            "no address given for the container end");
  EXPECT_EQ(attachError(with([](auto& r) { r.containerIfname = "eth0"; })),
            "the container has an interface eth0 already");
  EXPECT_EQ(attachError(with([](auto& r) { r.hostIfname = "a-very-long-name"; })),
            "'a-very-long-name': the interface name 'a-very-long-name' is 16 bytes long (at most "
            "15)");
  EXPECT_EQ(attachError(red(),
                        [](const std::string& step) {
                          if (step.rfind("give", 0) == 0) throw std::runtime_error("injected");
                        }),
            "attach to host VRF red: give nv-red its addresses in the container failed: "
            "injected; rolled back");
  EXPECT_EQ(state(), before);
  EXPECT_TRUE(ipJson(host_, {"link", "show", "red"}).empty());
}

TEST_F(HostSideTest, MissingVrfSupportIsNamedAndChangesNothing) {
  NETVRF_REQUIRE(missingVrfFreeKernel());
  std::string before = state();
  EXPECT_EQ(attachError(red()),
            "attach to host VRF red: create VRF red (table 1001) on the host failed: VRF red: "
            "this kernel has no VRF support (CONFIG_NET_VRF); rolled back");
  EXPECT_EQ(state(), before);
}

}  // namespace
}  // namespace netvrf::test
