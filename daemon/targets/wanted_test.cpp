// The one precedence, checked as a table: temporary request, stored request (attach or
// detach), labels, nothing.
#include "targets/wanted.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>

#include "attach/host_side.hpp"

namespace netvrf {
namespace {

class WantedTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/netvrf-wanted-XXXXXX";
    dir_ = mkdtemp(tmpl);
    store_.emplace(dir_ + "/requests.json");
    info_.runtime = "docker";
    info_.id = "0123456789abcdef";
    info_.name = "web1";
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  void storeInside(const std::string& vrf, bool detached = false) {
    StoredRequest r;
    r.runtime = info_.runtime;
    r.name = info_.name;
    r.detached = detached;
    r.inside.vrf = vrf;
    store_->put(r);
  }
  Wanted wanted() const { return wantedFor(info_, *store_, temporary_); }

  std::string dir_;
  std::optional<RequestStore> store_;
  ContainerInfo info_;
  TemporaryRequests temporary_;
};

TEST_F(WantedTest, NothingAsksForNothing) {
  Wanted w = wanted();
  EXPECT_EQ(w.inside.source, WantSource::None);
  EXPECT_FALSE(w.inside.request);
  EXPECT_EQ(w.host.source, WantSource::None);
  EXPECT_FALSE(w.host.request);
}

TEST_F(WantedTest, LabelsAloneAreWanted) {
  info_.labels = {{"netvrf.vrf", "red"}, {"netvrf.strict", "true"}};
  Wanted w = wanted();
  EXPECT_EQ(w.inside.source, WantSource::Label);
  ASSERT_TRUE(w.inside.request);
  EXPECT_EQ(w.inside.request->vrf, "red");
  EXPECT_TRUE(w.inside.request->strict);
}

TEST_F(WantedTest, AStoredRequestComesBeforeTheLabels) {
  info_.labels = {{"netvrf.vrf", "red"}};
  storeInside("blue");
  Wanted w = wanted();
  EXPECT_EQ(w.inside.source, WantSource::Request);
  EXPECT_EQ(w.inside.request->vrf, "blue");
}

TEST_F(WantedTest, AStoredDetachKeepsALabelledContainerOut) {
  info_.labels = {{"netvrf.vrf", "red"}};
  storeInside("", true);
  Wanted w = wanted();
  EXPECT_EQ(w.inside.source, WantSource::Detached);
  EXPECT_FALSE(w.inside.request);
}

TEST_F(WantedTest, ATemporaryRequestComesFirstOfAll) {
  info_.labels = {{"netvrf.vrf", "red"}};
  storeInside("blue");
  temporary_.inside = InsideRequest{"green", std::nullopt, {}, false};
  Wanted w = wanted();
  EXPECT_EQ(w.inside.source, WantSource::Temporary);
  EXPECT_EQ(w.inside.request->vrf, "green");
}

TEST_F(WantedTest, RequestsFollowTheNameNotTheIdOrAnotherRuntime) {
  storeInside("blue");
  info_.id = "fedcba9876543210";  // docker rm + docker run --name web1
  EXPECT_EQ(wanted().inside.request->vrf, "blue");
  info_.runtime = "podman";  // the same name under another runtime is another container
  EXPECT_FALSE(wanted().inside.request);
  info_.runtime = "docker";
  info_.name = "web2";
  EXPECT_FALSE(wanted().inside.request);
}

TEST_F(WantedTest, ALabelErrorIsReportedOnlyWhereNothingComesBeforeIt) {
  info_.labels = {{"netvrf.vrf", "red"}, {"netvrf.tabel", "7"}};
  Wanted w = wanted();
  EXPECT_FALSE(w.inside.request);
  EXPECT_NE(w.inside.error.find("netvrf.tabel"), std::string::npos) << w.inside.error;
  storeInside("blue");
  w = wanted();
  EXPECT_TRUE(w.inside.error.empty());
  EXPECT_EQ(w.inside.request->vrf, "blue");
  EXPECT_FALSE(w.host.error.empty());  // the leg has nothing above the broken labels
}

TEST_F(WantedTest, AStoredLegGetsThisContainersHostInterface) {
  StoredRequest leg;
  leg.runtime = "docker";
  leg.name = "web1";
  leg.part = StoredRequest::Part::Host;
  leg.host.vrf = "green";
  leg.host.addresses = {"203.0.113.10/24"};
  store_->put(leg);
  Wanted w = wanted();
  EXPECT_EQ(w.host.source, WantSource::Request);
  ASSERT_TRUE(w.host.request);
  EXPECT_EQ(w.host.request->hostIfname, defaultHostIfname(info_.id, "green"));
  EXPECT_EQ(w.host.request->containerIfname, defaultContainerIfname("green"));
  EXPECT_EQ(w.inside.source, WantSource::None);  // the parts are independent
}

}  // namespace
}  // namespace netvrf
