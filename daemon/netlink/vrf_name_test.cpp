#include <gtest/gtest.h>

#include "netlink/vrf.hpp"

namespace netvrf {
namespace {

TEST(VrfNames, InterfaceNames) {
  EXPECT_EQ(ifnameError("red"), std::nullopt);
  EXPECT_EQ(ifnameError("vrf-blue_1.2"), std::nullopt);
  EXPECT_EQ(ifnameError(std::string(15, 'a')), std::nullopt);
  EXPECT_EQ(ifnameError(std::string(16, 'a')),
            "the interface name '" + std::string(16, 'a') + "' is 16 bytes long (at most 15)");
  EXPECT_EQ(ifnameError(""), "the interface name is empty");
  EXPECT_EQ(ifnameError(".."), "the interface name '..' is reserved");
  for (const char* bad : {"../x", "a b", "a:1", "a\tb"})
    EXPECT_NE(ifnameError(bad), std::nullopt) << bad;
}

TEST(VrfNames, Tables) {
  EXPECT_EQ(tableError(1), std::nullopt);
  EXPECT_EQ(tableError(1001), std::nullopt);
  EXPECT_EQ(tableError(252), std::nullopt);
  EXPECT_EQ(tableError(256), std::nullopt);
  EXPECT_EQ(tableError(UINT32_MAX), std::nullopt);
  EXPECT_EQ(tableError(0), "table 0 is not a table");
  for (uint64_t t : {253u, 254u, 255u})
    EXPECT_EQ(tableError(t),
              "table " + std::to_string(t) + " is reserved (253 default, 254 main, 255 local)");
  EXPECT_EQ(tableError(uint64_t(UINT32_MAX) + 1), "table 4294967296 is out of range");
}

}  // namespace
}  // namespace netvrf
