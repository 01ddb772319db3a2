#include "attach/labels.hpp"

#include <gtest/gtest.h>

namespace netvrf {
namespace {

std::string errorOf(const std::map<std::string, std::string>& labels) {
  try {
    planFromLabels(labels, "0123456789ab");
  } catch (const LabelError& e) {
    return e.what();
  }
  return "";
}

std::optional<InsideRequest> attachFromLabels(const std::map<std::string, std::string>& labels) {
  return planFromLabels(labels, "0123456789ab").inside;
}

TEST(Labels, NoVrfLabelMeansNoAttach) {
  auto plan = planFromLabels({{"com.example.role", "web"}}, "0123456789ab");
  EXPECT_FALSE(plan.inside);
  EXPECT_FALSE(plan.host);
  EXPECT_FALSE(attachFromLabels({}));
}

TEST(Labels, HostSideLabels) {
  auto plan = planFromLabels({{"netvrf.host_vrf", "red"},
                              {"netvrf.host_addresses", "203.0.113.10/24,2001:db8::10/64"},
                              {"netvrf.host_gateways", "203.0.113.1"},
                              {"netvrf.host_table", "1300"}},
                             "0123456789abcdef");
  EXPECT_FALSE(plan.inside);
  ASSERT_TRUE(plan.host);
  EXPECT_EQ(plan.host->vrf, "red");
  EXPECT_EQ(plan.host->table, 1300u);
  EXPECT_EQ(plan.host->addresses, (std::vector<std::string>{"203.0.113.10/24", "2001:db8::10/64"}));
  EXPECT_EQ(plan.host->gateways, std::vector<std::string>{"203.0.113.1"});
  EXPECT_EQ(plan.host->containerIfname, "nv-red");
  EXPECT_EQ(plan.host->hostIfname, defaultHostIfname("0123456789abcdef", "red"));
  EXPECT_EQ(plan.host->hostIfname.substr(0, 10), "nv01234567");
  EXPECT_LE(plan.host->hostIfname.size(), 15u);
  EXPECT_EQ(errorOf({{"netvrf.host_vrf", "red"}}),
            "netvrf.host_vrf=red without netvrf.host_addresses");
  EXPECT_EQ(errorOf({{"netvrf.host_addresses", "203.0.113.10/24"}}),
            "netvrf.host_* labels without netvrf.host_vrf: which VRF?");
}

TEST(Labels, EveryLabelIsRead) {
  auto req = attachFromLabels({{"netvrf.vrf", "red"},
                               {"netvrf.table", "1200"},
                               {"netvrf.interfaces", "eth0,eth1"},
                               {"netvrf.strict", "true"},
                               {"other", "x"}});
  ASSERT_TRUE(req);
  EXPECT_EQ(req->vrf, "red");
  EXPECT_EQ(req->table, 1200u);
  EXPECT_EQ(req->interfaces, (std::vector<std::string>{"eth0", "eth1"}));
  EXPECT_TRUE(req->strict);

  auto plain = attachFromLabels({{"netvrf.vrf", "blue"}});
  ASSERT_TRUE(plain);
  EXPECT_FALSE(plain->table);
  EXPECT_TRUE(plain->interfaces.empty());
  EXPECT_FALSE(plain->strict);
}

TEST(Labels, BadValuesNameTheLabel) {
  EXPECT_EQ(errorOf({{"netvrf.vrf", "a-very-long-name"}}),
            "label netvrf.vrf=a-very-long-name: the interface name 'a-very-long-name' is 16 bytes "
            "long (at most 15)");
  EXPECT_EQ(errorOf({{"netvrf.vrf", ""}}), "label netvrf.vrf=: the interface name is empty");
  EXPECT_EQ(errorOf({{"netvrf.vrf", "red"}, {"netvrf.table", "254"}}),
            "label netvrf.table=254: table 254 is reserved (253 default, 254 main, 255 local)");
  EXPECT_EQ(errorOf({{"netvrf.vrf", "red"}, {"netvrf.table", "12x"}}),
            "label netvrf.table=12x: not a table number");
  EXPECT_EQ(errorOf({{"netvrf.vrf", "red"}, {"netvrf.table", "4294967296"}}),
            "label netvrf.table=4294967296: table 4294967296 is out of range");
  EXPECT_EQ(errorOf({{"netvrf.vrf", "red"}, {"netvrf.interfaces", "eth0,,eth1"}}),
            "label netvrf.interfaces=eth0,,eth1: the interface name is empty");
  EXPECT_EQ(errorOf({{"netvrf.vrf", "red"}, {"netvrf.strict", "yes"}}),
            "label netvrf.strict=yes: must be true or false");
  EXPECT_EQ(errorOf({{"netvrf.vfr", "red"}}),
            "label netvrf.vfr=red: unknown netvrf label (known: netvrf.vrf, netvrf.table, "
            "netvrf.interfaces, netvrf.strict, netvrf.vrf.<interface>, "
            "netvrf.default.<interface>, netvrf.host_vrf, netvrf.host_table, "
            "netvrf.host_addresses, netvrf.host_gateways, netvrf.host_interface)");
  EXPECT_EQ(errorOf({{"netvrf.table", "1001"}}), "netvrf.* labels without netvrf.vrf: which VRF?");
  EXPECT_EQ(
      errorOf({{"netvrf.vrf.eth0/1", "red"}}),
      "label netvrf.vrf.eth0/1=red: not an interface name: the interface name contains '/', ':', "
      "a space or a control character");
  EXPECT_EQ(errorOf({{"netvrf.default.eth1", "true"}}),
            "label netvrf.default.eth1=true without netvrf.vrf.eth1: which VRF?");
  EXPECT_EQ(
      errorOf({{"netvrf.vrf", "red"}, {"netvrf.interfaces", "eth1"}, {"netvrf.vrf.eth1", "b"}}),
      "interface eth1 is named by netvrf.interfaces and by netvrf.vrf.eth1: one VRF each");
}

TEST(Labels, AnInterfaceInAVrfOfItsOwn) {
  auto plan = planFromLabels({{"netvrf.vrf.eth1", "mgmt"},
                              {"netvrf.default.eth1", "true"},
                              {"netvrf.vrf.eth2", "data"},
                              {"netvrf.default.eth2", "false"}},
                             "0123456789ab");
  EXPECT_FALSE(plan.inside);  // no netvrf.vrf: the other interfaces stay as they are
  EXPECT_EQ(plan.interfaceVrfs,
            (std::map<std::string, std::string>{{"eth1", "mgmt"}, {"eth2", "data"}}));
  EXPECT_EQ(plan.defaults, std::set<std::string>{"eth1"});
}

TEST(NetworkLabels, BridgeAndContainersVrfs) {
  auto plan = planFromNetworkLabels({{"netvrf.vrf", "red"},
                                     {"netvrf.table", "1200"},
                                     {"netvrf.container_vrf", "blue"},
                                     {"netvrf.default", "true"},
                                     {"com.example", "x"}});
  ASSERT_TRUE(plan.bridge);
  EXPECT_EQ(plan.bridge->vrf, "red");
  EXPECT_EQ(plan.bridge->table, 1200u);
  EXPECT_TRUE(plan.bridge->strict);
  EXPECT_EQ(plan.containerVrf, "blue");
  EXPECT_TRUE(plan.isDefault);
  EXPECT_FALSE(planFromNetworkLabels({{"netvrf.container_vrf", "blue"}}).bridge);

  auto error = [](const std::map<std::string, std::string>& labels) {
    try {
      planFromNetworkLabels(labels);
    } catch (const LabelError& e) {
      return std::string(e.what());
    }
    return std::string();
  };
  EXPECT_EQ(error({{"netvrf.strict", "true"}}),
            "label netvrf.strict=true: not a network's netvrf label (known: netvrf.vrf, "
            "netvrf.table, netvrf.container_vrf, netvrf.default)");
  EXPECT_EQ(error({{"netvrf.default", "true"}}),
            "label netvrf.default=true without netvrf.container_vrf: which VRF?");
  EXPECT_EQ(error({{"netvrf.container_vrf", ""}}),
            "label netvrf.container_vrf=: the interface name is empty");
}

}  // namespace
}  // namespace netvrf
