#include "runtime/containerd/spec.hpp"

#include <gtest/gtest.h>

namespace netvrf::ctrd {
namespace {

TEST(ContainerdSpec, ANetworkNamespaceOfItsOwnTheHostsOrAJoinedOne) {
  auto own = networkOfSpec(
      R"({"ociVersion":"1.0.2","linux":{"namespaces":[{"type":"pid"},{"type":"network"}]}})");
  EXPECT_FALSE(own.hostNetwork);
  EXPECT_EQ(own.path, std::nullopt);

  auto host = networkOfSpec(R"({"linux":{"namespaces":[{"type":"pid"},{"type":"mount"}]}})");
  EXPECT_TRUE(host.hostNetwork);

  auto pod = networkOfSpec(
      R"({"linux":{"namespaces":[{"type":"network","path":"/var/run/netns/cni-1f2e"}]}})");
  EXPECT_FALSE(pod.hostNetwork);
  EXPECT_EQ(pod.path, "/var/run/netns/cni-1f2e");
}

TEST(ContainerdSpec, WhatIsNotASpecIsAnError) {
  EXPECT_THROW(networkOfSpec("not json"), std::runtime_error);
  EXPECT_THROW(networkOfSpec(R"({"process":{}})"), std::runtime_error);
}

}  // namespace
}  // namespace netvrf::ctrd
