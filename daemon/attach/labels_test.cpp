#include "attach/labels.hpp"

#include <gtest/gtest.h>

namespace netvrf {
namespace {

std::string errorOf(const std::map<std::string, std::string>& labels) {
  try {
    attachFromLabels(labels);
  } catch (const LabelError& e) {
    return e.what();
  }
  return "";
}

TEST(Labels, NoVrfLabelMeansNoAttach) {
  EXPECT_FALSE(attachFromLabels({}));
  EXPECT_FALSE(attachFromLabels({{"com.example.role", "web"}}));
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
            "netvrf.interfaces, netvrf.strict)");
  EXPECT_EQ(errorOf({{"netvrf.table", "1001"}}), "netvrf.* labels without netvrf.vrf: which VRF?");
}

}  // namespace
}  // namespace netvrf
