#include "dbus/authorization.hpp"

#include <gtest/gtest.h>

namespace netvrf {
namespace {

TEST(Authorization, RootAlwaysOthersOnlyThroughTheConfiguredGroup) {
  EXPECT_TRUE(mayChange({0, 0, {}}, std::nullopt));
  EXPECT_TRUE(mayChange({0, 1000, {}}, gid_t(4242)));
  EXPECT_FALSE(mayChange({1000, 1000, {}}, std::nullopt));
  EXPECT_FALSE(mayChange({1000, 1000, {27, 100}}, gid_t(4242)));
  EXPECT_TRUE(mayChange({1000, 4242, {}}, gid_t(4242)));        // primary group
  EXPECT_TRUE(mayChange({1000, 1000, {27, 4242}}, gid_t(4242)));  // supplementary
  EXPECT_FALSE(mayChange({65534, 65534, {0}}, std::nullopt));   // group root is not root
}

TEST(Authorization, GroupsAreLookedUpByName) {
  EXPECT_EQ(groupId(""), std::nullopt);
  EXPECT_EQ(groupId("root"), gid_t(0));
  EXPECT_THROW(groupId("no-such-group-netvrf"), std::runtime_error);
}

}  // namespace
}  // namespace netvrf
