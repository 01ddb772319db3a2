// A path that appears is noticed through the watch, also when its directories appear first.
#include "common/path_watch.hpp"

#include <poll.h>
#include <sys/stat.h>

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

namespace netvrf {
namespace {

// Whether the watch polls readable within `ms` (the deadline only bounds a failing test).
bool signalled(const PathWatch& w, int ms) {
  pollfd p{w.fd(), POLLIN, 0};
  return poll(&p, 1, ms) == 1;
}

class PathWatchTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/netvrf-pathwatch-XXXXXX";
    dir_ = mkdtemp(tmpl);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::string dir_;
};

TEST_F(PathWatchTest, APathThatIsThereExists) {
  std::ofstream(dir_ + "/sock") << "";
  PathWatch w(dir_ + "/sock");
  EXPECT_TRUE(w.exists());
}

TEST_F(PathWatchTest, NothingHappensNothingIsSignalled) {
  PathWatch w(dir_ + "/sock");
  EXPECT_FALSE(w.exists());
  EXPECT_FALSE(signalled(w, 100));
  std::ofstream(dir_ + "/other") << "";  // something else in the directory: a false alarm only
  EXPECT_TRUE(signalled(w, 5000));
  EXPECT_FALSE(w.exists());
  EXPECT_FALSE(signalled(w, 100));
}

TEST_F(PathWatchTest, ThePathAndItsDirectoriesAppearingAreEachSignalled) {
  std::string path = dir_ + "/run/podman/podman.sock";
  PathWatch w(path);
  EXPECT_FALSE(w.exists());
  ASSERT_EQ(mkdir((dir_ + "/run").c_str(), 0755), 0);
  ASSERT_TRUE(signalled(w, 5000)) << "run/ appearing";
  EXPECT_FALSE(w.exists());
  ASSERT_EQ(mkdir((dir_ + "/run/podman").c_str(), 0755), 0);
  ASSERT_TRUE(signalled(w, 5000)) << "run/podman/ appearing";
  EXPECT_FALSE(w.exists());
  std::ofstream(path) << "";
  ASSERT_TRUE(signalled(w, 5000)) << "the socket appearing";
  EXPECT_TRUE(w.exists());
}

TEST_F(PathWatchTest, DirectoriesMadeAllAtOnceAreNotMissed) {
  std::string path = dir_ + "/a/b/sock";
  PathWatch w(path);
  std::filesystem::create_directories(dir_ + "/a/b");
  std::ofstream(path) << "";
  ASSERT_TRUE(signalled(w, 5000));
  EXPECT_TRUE(w.exists()) << "b/ and the socket came before the watch moved into a/";
}

}  // namespace
}  // namespace netvrf
