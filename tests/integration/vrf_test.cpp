// The VRF netlink layer against a real kernel, each test in a network namespace of its own.
// VrfKernel.* needs a kernel with VRF support (scripts/test runs them in the VM, tests/vm);
// VrfMissing.* needs one without (the host here). Checked with iproute2's own JSON output.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sched.h>

#include <nlohmann/json.hpp>

#include "common/error.hpp"
#include "harness.hpp"
#include "netlink/in_netns.hpp"
#include "netlink/nl_handle.hpp"
#include "netlink/tables.hpp"
#include "netlink/vrf.hpp"

namespace netvrf::test {
namespace {

using nlohmann::json;

class VrfTest : public ::testing::Test {
 protected:
  void SetUp() override {
    NETVRF_REQUIRE(missingRoot());
    ns_ = newNetns();
  }
  // Runs `f(Vrfs&)` inside the test's namespace.
  template <typename F>
  auto inNs(F f) {
    return runInNetns(ns_.get(), [&] {
      NlSocket sock = connectRoute();
      Vrfs vrfs(sock.get());
      return f(vrfs);
    });
  }
  json ipJson(const std::vector<std::string>& args) {
    return runInNetns(ns_.get(), [&] {
      std::vector<std::string> argv{"ip", "-j"};
      argv.insert(argv.end(), args.begin(), args.end());
      Result r = run(argv);
      EXPECT_EQ(r.status, 0) << r.out;
      return r.out.empty() ? json::array() : json::parse(r.out);
    });
  }
  std::string errorOf(const std::function<void(Vrfs&)>& f) {
    try {
      inNs([&](Vrfs& v) {
        f(v);
        return 0;
      });
    } catch (const VrfError& e) {
      return e.what();
    }
    return "";
  }
  size_t linkCount() { return ipJson({"link", "show"}).size(); }
  // A table with no route at all does not exist for the kernel: that reads as empty.
  json tableRoutes(const char* family, const std::string& table) {
    return runInNetns(ns_.get(), [&] {
      Result r = run({"ip", "-j", family, "route", "show", "table", table});
      if (r.status != 0 && r.out.find("does not exist") != std::string::npos) return json::array();
      EXPECT_EQ(r.status, 0) << r.out;
      return json::parse(r.out);
    });
  }
  Fd ns_;
};

class VrfKernel : public VrfTest {
 protected:
  void SetUp() override {
    VrfTest::SetUp();
    if (IsSkipped() || HasFailure()) return;
    NETVRF_REQUIRE(missingVrf());
  }
};

TEST_F(VrfKernel, CreateMakesAnUpVrfWithCatchAllRoutesAndTheL3mdevRule) {
  VrfInfo red = inNs([](Vrfs& v) { return v.create("red", 1001); });
  EXPECT_EQ(red.name, "red");
  EXPECT_EQ(red.table, 1001u);
  EXPECT_TRUE(red.up);

  json link = ipJson({"-d", "link", "show", "red"});
  ASSERT_EQ(link.size(), 1u);
  EXPECT_EQ(link[0]["linkinfo"]["info_kind"], "vrf");
  EXPECT_EQ(link[0]["linkinfo"]["info_data"]["table"], 1001);
  EXPECT_NE(link[0]["flags"].dump().find("\"UP\""), std::string::npos) << link.dump();

  for (const char* family : {"-4", "-6"}) {
    json routes = tableRoutes(family, "1001");
    ASSERT_EQ(routes.size(), 1u) << family << routes.dump();
    EXPECT_EQ(routes[0]["type"], "unreachable");
    EXPECT_EQ(routes[0]["dst"], "default");
    EXPECT_EQ(routes[0]["metric"], 4278198272u);
    json rules = ipJson({family, "rule", "show"});
    bool l3mdev = false;
    for (const auto& r : rules) l3mdev |= r.value("priority", 0) == 1000 && r.contains("l3mdev");
    EXPECT_TRUE(l3mdev) << family << rules.dump();
  }
  auto listed = inNs([](Vrfs& v) { return v.list(); });
  ASSERT_EQ(listed.size(), 1u);
  EXPECT_EQ(listed[0].name, "red");
}

TEST_F(VrfKernel, CreateIsIdempotentAndRemoveUndoesIt) {
  size_t before = linkCount();
  int first = inNs([](Vrfs& v) { return v.create("red", 1001).ifindex; });
  int second = inNs([](Vrfs& v) { return v.create("red", 1001).ifindex; });
  EXPECT_EQ(first, second);
  EXPECT_EQ(linkCount(), before + 1);
  inNs([](Vrfs& v) {
    v.remove("red");
    return 0;
  });
  EXPECT_EQ(linkCount(), before);
  EXPECT_TRUE(tableRoutes("-4", "1001").empty());
  EXPECT_TRUE(tableRoutes("-6", "1001").empty());
  EXPECT_EQ(errorOf([](Vrfs& v) { v.remove("red"); }), "VRF red does not exist");
}

TEST_F(VrfKernel, ConflictsAreClearErrorsAndChangeNothing) {
  inNs([](Vrfs& v) { return v.create("red", 1001); });
  size_t links = linkCount();
  EXPECT_EQ(errorOf([](Vrfs& v) { v.create("red", 1002); }),
            "VRF red exists with table 1001, not 1002");
  EXPECT_EQ(errorOf([](Vrfs& v) { v.create("blue", 1001); }),
            "VRF blue: table 1001 is in use by VRF red");
  runInNetns(ns_.get(), [] { run({"ip", "link", "add", "br0", "type", "bridge"}); });
  EXPECT_EQ(errorOf([](Vrfs& v) { v.create("br0", 1005); }),
            "interface br0 exists and is not a VRF");
  EXPECT_EQ(linkCount(), links + 1);  // the bridge only
  EXPECT_TRUE(tableRoutes("-4", "1002").empty());
  EXPECT_TRUE(tableRoutes("-4", "1005").empty());
}

TEST_F(VrfKernel, BadNamesAndTablesAreRefusedBeforeAnythingChanges) {
  size_t links = linkCount();
  EXPECT_EQ(errorOf([](Vrfs& v) { v.create("a-very-long-name", 1001); }),
            "VRF a-very-long-name: the interface name 'a-very-long-name' is 16 bytes long (at "
            "most 15)");
  EXPECT_EQ(errorOf([](Vrfs& v) { v.create("../x", 1001); }),
            "VRF ../x: the interface name contains '/', ':', a space or a control character");
  EXPECT_EQ(errorOf([](Vrfs& v) { v.create("red", 0); }), "VRF red: table 0 is not a table");
  EXPECT_EQ(errorOf([](Vrfs& v) { v.create("red", 254); }),
            "VRF red: table 254 is reserved (253 default, 254 main, 255 local)");
  EXPECT_EQ(errorOf([](Vrfs& v) { v.create("red", 1ull << 32); }),
            "VRF red: table 4294967296 is out of range");
  EXPECT_EQ(linkCount(), links);
}

TEST_F(VrfKernel, DeletedL3mdevRuleIsRestoredByTheNextVrf) {
  inNs([](Vrfs& v) { return v.create("red", 1001); });
  runInNetns(ns_.get(), [] {
    EXPECT_EQ(run({"ip", "-4", "rule", "del", "pref", "1000"}).status, 0);
  });
  inNs([](Vrfs& v) { return v.create("blue", 1002); });
  bool l3mdev = false;
  for (const auto& r : ipJson({"-4", "rule", "show"}))
    l3mdev |= r.value("priority", 0) == 1000 && r.contains("l3mdev");
  EXPECT_TRUE(l3mdev);
}

TEST_F(VrfTest, TablesInUseSeesRoutesAndRulesOfBothFamilies) {
  auto before = inNs([](Vrfs&) { return tablesInUse(connectRoute().get()); });
  EXPECT_FALSE(before.count(1001));
  runInNetns(ns_.get(), [] {
    ASSERT_EQ(run({"ip", "route", "add", "unreachable", "203.0.113.0/24", "table", "1001"}).status,
              0);
    ASSERT_EQ(
        run({"ip", "-6", "route", "add", "unreachable", "2001:db8::/32", "table", "1600"}).status,
        0);
    ASSERT_EQ(run({"ip", "rule", "add", "pref", "3000", "lookup", "1500"}).status, 0);
  });
  auto used = inNs([](Vrfs&) { return tablesInUse(connectRoute().get()); });
  for (uint32_t t : {1001u, 1500u, 1600u, 254u, 255u}) EXPECT_TRUE(used.count(t)) << t;
  EXPECT_EQ(pickTable({1001, 1999}, used), 1002u);
}

TEST_F(VrfTest, MissingKernelSupportIsNamedAndChangesNothing) {
  NETVRF_REQUIRE(missingVrfFreeKernel());
  size_t links = linkCount();
  EXPECT_EQ(errorOf([](Vrfs& v) { v.create("red", 1001); }),
            "VRF red: this kernel has no VRF support (CONFIG_NET_VRF)");
  EXPECT_EQ(linkCount(), links);
  EXPECT_TRUE(tableRoutes("-4", "1001").empty());
}

}  // namespace
}  // namespace netvrf::test
