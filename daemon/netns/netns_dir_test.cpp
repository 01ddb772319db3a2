#include "netns/netns_dir.hpp"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/mount.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "harness.hpp"

namespace netvrf {
namespace {

// Needs root (mount). Works in a directory of its own, never in /var/run/netns.
class NetnsDirTest : public ::testing::Test {
 protected:
  void SetUp() override {
    NETVRF_REQUIRE(test::missingRoot());
    char tmpl[] = "/tmp/netvrf-netnsdir-XXXXXX";
    dir_ = mkdtemp(tmpl);
    self_.reset(open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC));
    selfNs_ = nsIdentityOfFd(self_.get());
  }
  void TearDown() override {
    if (dir_.empty()) return;
    for (const auto& e : std::filesystem::directory_iterator(dir_))
      umount2(e.path().c_str(), MNT_DETACH);
    umount2(dir_.c_str(), MNT_DETACH);
    std::filesystem::remove_all(dir_);
  }
  std::string dir_;
  Fd self_;
  NsIdentity selfNs_;
};

bool isMountPoint(const std::string& path) {
  std::ifstream in("/proc/self/mountinfo");
  std::string line;
  while (std::getline(in, line))
    if (line.find(" " + path + " ") != std::string::npos) return true;
  return false;
}

TEST_F(NetnsDirTest, BindProbeUnbind) {
  NetnsDir d(dir_);
  d.prepare();
  d.prepare();  // idempotent
  EXPECT_TRUE(isMountPoint(dir_));
  EXPECT_FALSE(d.probe("a").exists);
  d.bind("a", self_.get());
  auto e = d.probe("a");
  EXPECT_TRUE(e.exists);
  ASSERT_TRUE(e.ns);
  EXPECT_EQ(*e.ns, selfNs_);
  EXPECT_TRUE(isMountPoint(dir_ + "/a"));
  EXPECT_EQ(d.list(), std::vector<std::string>{"a"});

  try {
    d.bind("a", self_.get());
    ADD_FAILURE() << "a second bind of the same name must fail";
  } catch (const std::system_error& err) {
    EXPECT_EQ(err.code().value(), EEXIST);
  }

  EXPECT_FALSE(d.unbind("a", NsIdentity{selfNs_.dev, selfNs_.ino + 1}));  // not that namespace
  EXPECT_TRUE(d.probe("a").exists);
  EXPECT_TRUE(d.unbind("a", selfNs_));
  EXPECT_FALSE(d.probe("a").exists);
  EXPECT_FALSE(isMountPoint(dir_ + "/a"));
}

TEST_F(NetnsDirTest, AbortedBindLeavesNothing) {
  NetnsDir d(dir_);
  d.prepare();
  try {
    d.bind("b", self_.get(), [] { return false; });
    ADD_FAILURE() << "bind must fail when the process is gone";
  } catch (const std::system_error& err) {
    EXPECT_EQ(err.code().value(), ESRCH);
  }
  EXPECT_FALSE(d.probe("b").exists);
}

TEST_F(NetnsDirTest, UnbindRemovesALeftoverFile) {
  NetnsDir d(dir_);
  d.prepare();
  close(open((dir_ + "/c").c_str(), O_CREAT | O_RDONLY, 0));
  auto e = d.probe("c");
  EXPECT_TRUE(e.exists);
  EXPECT_FALSE(e.ns);
  EXPECT_TRUE(d.unbind("c", selfNs_));
  EXPECT_FALSE(d.probe("c").exists);
}

}  // namespace
}  // namespace netvrf
