#include "netns/ownership.hpp"

#include <gtest/gtest.h>

#include "harness.hpp"

#include <filesystem>
#include <fstream>

namespace netvrf {
namespace {

class OwnershipStoreTest : public ::testing::Test {
 protected:
  test::TempDir tmp_;
  std::string dir_ = tmp_.path();
};

OwnershipRecord sample(const std::string& entry) {
  return {entry, "docker", "5a05c0553da2", "web1", 4242, 123456789, {NsIdentity{4, 4026532281}}};
}

TEST_F(OwnershipStoreTest, SavesFindsListsAndRemoves) {
  OwnershipStore store(dir_);
  store.prepare();
  EXPECT_EQ(store.find("web1"), std::nullopt);
  store.save(sample("web1"));
  store.save(sample("web2"));
  auto found = store.find("web1");
  ASSERT_TRUE(found);
  EXPECT_EQ(found->containerId, "5a05c0553da2");
  EXPECT_EQ(found->pid, 4242);
  EXPECT_EQ(found->startTime, 123456789u);
  EXPECT_EQ(found->ns, (NsIdentity{4, 4026532281}));
  EXPECT_EQ(store.loadAll().size(), 2u);
  store.remove("web1");
  store.remove("web1");  // removing twice is fine
  EXPECT_EQ(store.find("web1"), std::nullopt);
  EXPECT_EQ(store.loadAll().size(), 1u);
  EXPECT_FALSE(std::filesystem::exists(dir_ + "/netns/web2.json.tmp"));
}

TEST_F(OwnershipStoreTest, ReportsUnreadableRecords) {
  OwnershipStore store(dir_);
  store.prepare();
  store.save(sample("good"));
  std::ofstream(dir_ + "/netns/bad.json") << "{not json";
  std::vector<std::string> errors;
  auto all = store.loadAll(&errors);
  ASSERT_EQ(all.size(), 1u);
  EXPECT_EQ(all[0].entry, "good");
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_NE(errors[0].find("bad.json"), std::string::npos);
}

TEST_F(OwnershipStoreTest, SaveFailsWhenTheDirectoryIsMissing) {
  OwnershipStore store(dir_ + "/missing");
  EXPECT_THROW(store.save(sample("web1")), std::system_error);
}

}  // namespace
}  // namespace netvrf
