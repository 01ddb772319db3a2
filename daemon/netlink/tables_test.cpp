#include "netlink/tables.hpp"

#include <gtest/gtest.h>

#include "harness.hpp"

#include <filesystem>
#include <fstream>
#include <sstream>

#include "netlink/vrf.hpp"

namespace netvrf {
namespace {

TEST(PickTable, LowestFreeAndNeverReserved) {
  EXPECT_EQ(pickTable({1001, 1999}, {}), 1001u);
  EXPECT_EQ(pickTable({1001, 1999}, {1001, 1002, 1004}), 1003u);
  EXPECT_EQ(pickTable({250, 260}, {250, 251, 252}), 256u);  // skips 253-255
  EXPECT_EQ(pickTable({0, 2}, {}), 1u);                     // never 0
  EXPECT_EQ(pickTable({253, 255}, {}), std::nullopt);
  EXPECT_EQ(pickTable({1001, 1002}, {1001, 1002}), std::nullopt);
  EXPECT_EQ(pickTable({UINT32_MAX, UINT32_MAX}, {}), UINT32_MAX);  // no overflow at the end
}

class TableMapTest : public ::testing::Test {
 protected:
  test::TempDir tmp_;
  std::string dir_ = tmp_.path();
  TableMap map() { return TableMap(dir_ + "/lib/tables.json", dir_ + "/rt_tables.d/netvrf.conf"); }
  std::string rtTables() {
    std::ifstream in(dir_ + "/rt_tables.d/netvrf.conf");
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
  }
};

TEST_F(TableMapTest, AllocatesPersistsAndNamesTables) {
  {
    TableMap m = map();
    EXPECT_EQ(m.allocate("red", {1001, 1999}, {1001}), 1002u);  // 1001 used in the kernel
    EXPECT_EQ(m.allocate("blue", {1001, 1999}, {1001}), 1003u);
    EXPECT_EQ(m.allocate("red", {1001, 1999}, {1001}), 1002u);  // stable
  }
  TableMap again = map();  // a restart
  EXPECT_EQ(again.find("red"), 1002u);
  EXPECT_EQ(again.allocate("blue", {1001, 1999}, {}), 1003u);
  EXPECT_NE(rtTables().find("1002\tred\n"), std::string::npos) << rtTables();
  EXPECT_NE(rtTables().find("1003\tblue\n"), std::string::npos) << rtTables();
  again.release("red");
  EXPECT_EQ(map().find("red"), std::nullopt);
  EXPECT_EQ(rtTables().find("red"), std::string::npos);
}

TEST_F(TableMapTest, FullRangeAndStolenTableAreErrors) {
  TableMap m = map();
  EXPECT_EQ(m.allocate("red", {1001, 1001}, {}), 1001u);
  try {
    m.allocate("blue", {1001, 1001}, {});
    ADD_FAILURE();
  } catch (const VrfError& e) {
    EXPECT_STREQ(e.what(), "VRF blue: no free table in 1001-1001");
  }
  try {
    m.allocate("red", {1001, 1999}, {1001});
    ADD_FAILURE();
  } catch (const VrfError& e) {
    EXPECT_STREQ(e.what(), "VRF red: its table 1001 is now used by something else");
  }
}

TEST_F(TableMapTest, CorruptStateIsAClearError) {
  std::filesystem::create_directories(dir_ + "/lib");
  std::ofstream(dir_ + "/lib/tables.json") << R"({"red": 254})";
  try {
    map();
    ADD_FAILURE();
  } catch (const VrfError& e) {
    EXPECT_EQ(std::string(e.what()), dir_ + "/lib/tables.json: VRF red has an invalid table");
  }
}

}  // namespace
}  // namespace netvrf
