#include "firewall/forward_rules.hpp"

#include <gtest/gtest.h>

namespace netvrf {
namespace {

TEST(ForwardRules, EachSubnetOutToEachUplinkOfItsVrfByFamily) {
  std::vector<VrfForward> vrfs = {
      {"blue", {"203.0.113.64/28", "2001:db8:1::/64"}, {"up0", "up1"}},
      {"red", {"198.51.100.0/28"}, {"uplink-red"}},
  };
  EXPECT_EQ(forwardRules(vrfs, false), (std::vector<std::string>{
                                           "-i blue -s 203.0.113.64/28 -o up0 -j ACCEPT",
                                           "-i blue -s 203.0.113.64/28 -o up1 -j ACCEPT",
                                           "-i red -s 198.51.100.0/28 -o uplink-red -j ACCEPT",
                                       }));
  EXPECT_EQ(forwardRules(vrfs, true), (std::vector<std::string>{
                                          "-i blue -s 2001:db8:1::/64 -o up0 -j ACCEPT",
                                          "-i blue -s 2001:db8:1::/64 -o up1 -j ACCEPT",
                                      }));
  EXPECT_TRUE(forwardRules({{"blue", {"203.0.113.64/28"}, {}}}, false).empty());
  EXPECT_TRUE(forwardRules({}, false).empty());
}

}  // namespace
}  // namespace netvrf
