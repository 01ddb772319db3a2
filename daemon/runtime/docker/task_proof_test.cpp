#include "runtime/docker/task_proof.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

namespace netvrf::docker {
namespace {

const std::string kId = "3f2a9c1d0b7e4a5f8c6d2e1b0a9f8e7d6c5b4a3f2e1d0c9b8a7f6e5d4c3b2a10";
const std::string kOther = "3f2a9c1d0b7e4a5f8c6d2e1b0a9f8e7d6c5b4a3f2e1d0c9b8a7f6e5d4c3b2a11";

TEST(TaskProof, CgroupfsDriverOnCgroupV2) {
  EXPECT_TRUE(cgroupNamesContainer("0::/docker/" + kId + "\n", kId));
}

TEST(TaskProof, SystemdDriverOnCgroupV2) {
  EXPECT_TRUE(cgroupNamesContainer("0::/system.slice/docker-" + kId + ".scope\n", kId));
}

TEST(TaskProof, CgroupV1ListsEveryHierarchy) {
  std::string text = "12:pids:/docker/" + kId + "\n11:cpu,cpuacct:/docker/" + kId +
                     "\n1:name=systemd:/docker/" + kId + "\n";
  EXPECT_TRUE(cgroupNamesContainer(text, kId));
}

TEST(TaskProof, AnotherContainersCgroupIsNoProof) {
  EXPECT_FALSE(cgroupNamesContainer("0::/docker/" + kOther + "\n", kId));
  EXPECT_FALSE(cgroupNamesContainer("0::/system.slice/docker-" + kOther + ".scope\n", kId));
}

TEST(TaskProof, TheIdMustBeAWholeComponent) {
  EXPECT_FALSE(cgroupNamesContainer("0::/docker/" + kId + "ff\n", kId));
  EXPECT_FALSE(cgroupNamesContainer("0::/docker/x" + kId + "\n", kId));
  EXPECT_FALSE(cgroupNamesContainer("0::/user.slice/session-1.scope\n", kId));
  EXPECT_FALSE(cgroupNamesContainer("0::/\n", kId));
}

TEST(TaskProof, NestedCgroupsOfTheContainerCount) {
  // A process in a sub-cgroup of the container (Docker-in-Docker, systemd in a container).
  EXPECT_TRUE(cgroupNamesContainer("0::/docker/" + kId + "/init.scope\n", kId));
}

TEST(TaskProof, MalformedTextOrIdIsNoProof) {
  EXPECT_FALSE(cgroupNamesContainer("", kId));
  EXPECT_FALSE(cgroupNamesContainer("garbage " + kId, kId));
  EXPECT_FALSE(cgroupNamesContainer("0::/docker/abc\n", "abc"));  // not a full id
  EXPECT_FALSE(cgroupNamesContainer("0::/docker/\n", ""));
}

TEST(TaskProof, ThisTestIsInNoContainersCgroup) {
  // The real /proc: a process outside the container's cgroup is refused.
  EXPECT_FALSE(pinContainerTask(getpid(), kId));
}

}  // namespace
}  // namespace netvrf::docker
