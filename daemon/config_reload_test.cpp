#include <gtest/gtest.h>

#include "config.hpp"

namespace netvrf {
namespace {

TEST(ConfigReload, AppliesWhatCanChangeLiveAndNamesWhatNeedsARestart) {
  Config live;
  Config fresh = parseConfig(R"({"log_level": "debug", "name_template": "ctr-{name}",
                                 "cleanup_on_exit": true, "api": {"group": "netvrf"},
                                 "docker": {"socket": "/run/other.sock"},
                                 "vrf": {"table_first": 2001, "table_last": 2999}})",
                             "test.json");
  auto restart = applyReload(live, fresh);
  EXPECT_EQ(live.logLevel, "debug");
  EXPECT_EQ(live.nameTemplate, "ctr-{name}");
  EXPECT_TRUE(live.cleanupOnExit);
  EXPECT_EQ(live.api.group, "netvrf");
  EXPECT_EQ(restart,
            (std::vector<std::string>{"docker.socket", "vrf.table_first", "vrf.table_last"}));
  EXPECT_EQ(live.docker.socket, Config{}.docker.socket);  // still the running one
  EXPECT_EQ(live.vrf.tableFirst, Config{}.vrf.tableFirst);
}

TEST(ConfigReload, TheSameFileChangesNothing) {
  Config live;
  EXPECT_TRUE(applyReload(live, Config{}).empty());
}

}  // namespace
}  // namespace netvrf
