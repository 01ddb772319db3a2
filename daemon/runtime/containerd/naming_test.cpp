#include <gtest/gtest.h>

#include "runtime/containerd/containerd_watcher.hpp"

namespace netvrf::ctrd {
namespace {

TEST(ContainerdNaming, PodsByTheirNamesNerdctlByItsLabelOthersById) {
  EXPECT_EQ(nameOf({{"io.cri-containerd.kind", "sandbox"},
                    {"io.kubernetes.pod.name", "web-7d4b9"},
                    {"io.kubernetes.pod.namespace", "shop"}},
                   "4f1c"),
            "shop_web-7d4b9");
  EXPECT_EQ(nameOf({{"io.cri-containerd.kind", "container"},
                    {"io.kubernetes.pod.name", "web-7d4b9"},
                    {"io.kubernetes.pod.namespace", "shop"}},
                   "9a0e"),
            std::nullopt);
  EXPECT_EQ(nameOf({{"nerdctl/name", "web1"}}, "4f1c"), "web1");
  EXPECT_EQ(nameOf({}, "4f1c"), "4f1c");
  EXPECT_EQ(nameOf({{"io.cri-containerd.kind", "sandbox"}}, "4f1c"), "4f1c");  // no pod labels
}

}  // namespace
}  // namespace netvrf::ctrd
