#include "targets/sandbox_store.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>

namespace netvrf {
namespace {

class SandboxStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/netvrf-sandboxes-XXXXXX";
    dir_ = mkdtemp(tmpl);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  static SandboxRecord record(const std::string& id) {
    SandboxRecord r{id, "default_web-" + id, "/var/run/netns/cni-" + id, {3, 4026532281}, {}};
    r.request.runtime = "cni";
    r.request.name = id;
    r.request.inside.vrf = "red";
    r.request.inside.table = 1005;
    r.request.inside.interfaces = {"eth0"};
    return r;
  }
  std::string dir_;
};

TEST_F(SandboxStoreTest, WhatIsSavedLoadsAgainUntilRemoved) {
  SandboxStore store(dir_);
  std::vector<std::string> errors;
  EXPECT_TRUE(store.loadAll(errors).empty()) << "no directory yet is no sandbox";
  SandboxRecord host = record("b2");
  host.request.part = StoredRequest::Part::Host;
  host.request.host.vrf = "blue";
  host.request.host.containerIfname = "vblue";
  host.request.host.addresses = {"192.0.2.2/30"};
  store.save(record("a1"));
  store.save(host);

  std::vector<SandboxRecord> all = SandboxStore(dir_).loadAll(errors);
  EXPECT_TRUE(errors.empty());
  ASSERT_EQ(all.size(), 2u);
  std::sort(all.begin(), all.end(), [](auto& x, auto& y) { return x.id < y.id; });
  EXPECT_EQ(all[0].name, "default_web-a1");
  EXPECT_EQ(all[0].path, "/var/run/netns/cni-a1");
  EXPECT_EQ(all[0].ns, (NsIdentity{3, 4026532281}));
  EXPECT_EQ(all[0].request.part, StoredRequest::Part::Inside);
  EXPECT_EQ(all[0].request.inside.vrf, "red");
  EXPECT_EQ(all[0].request.inside.table, 1005u);
  EXPECT_EQ(all[0].request.inside.interfaces, std::vector<std::string>{"eth0"});
  EXPECT_EQ(all[1].request.part, StoredRequest::Part::Host);
  EXPECT_EQ(all[1].request.host.addresses, std::vector<std::string>{"192.0.2.2/30"});

  store.remove("a1");
  store.remove("a1");  // gone already: nothing to do
  all = store.loadAll(errors);
  ASSERT_EQ(all.size(), 1u);
  EXPECT_EQ(all[0].id, "b2");
}

TEST_F(SandboxStoreTest, AFileThatCannotBeReadIsNamedAndRemoved) {
  SandboxStore store(dir_);
  store.save(record("good"));
  std::ofstream(dir_ + "/sandboxes/torn.json") << "{\"id\": \"torn\", \"na";
  SandboxRecord other = record("moved");
  store.save(other);
  std::filesystem::rename(dir_ + "/sandboxes/moved.json", dir_ + "/sandboxes/elsewhere.json");
  std::ofstream(dir_ + "/sandboxes/notes.txt") << "not a record\n";

  std::vector<std::string> errors;
  std::vector<SandboxRecord> all = store.loadAll(errors);
  ASSERT_EQ(all.size(), 1u);
  EXPECT_EQ(all[0].id, "good");
  ASSERT_EQ(errors.size(), 2u);
  std::sort(errors.begin(), errors.end());
  EXPECT_EQ(errors[0].find(dir_ + "/sandboxes/elsewhere.json: its id is not its file's name; "
                                  "removed"),
            0u)
      << errors[0];
  EXPECT_EQ(errors[1].find(dir_ + "/sandboxes/torn.json: "), 0u) << errors[1];
  EXPECT_FALSE(std::filesystem::exists(dir_ + "/sandboxes/torn.json"));
  EXPECT_TRUE(std::filesystem::exists(dir_ + "/sandboxes/notes.txt")) << "not ours to remove";
}

TEST_F(SandboxStoreTest, AnUnwritableDirectoryIsAnErrorNamingTheFile) {
  std::ofstream(dir_ + "/sandboxes") << "a file where the directory should be\n";
  SandboxStore store(dir_);
  try {
    store.save(record("a1"));
    FAIL() << "saved into a file";
  } catch (const std::system_error& e) {
    EXPECT_NE(std::string(e.what()).find(dir_ + "/sandboxes"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace netvrf
