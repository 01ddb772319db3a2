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
  Wanted wanted() const {
    return wantedFor(info_, *store_, temporary_, {},
                     [this](const std::string& id) -> const std::map<std::string, std::string>* {
                       auto it = networks_.find(id);
                       return it == networks_.end() ? nullptr : &it->second;
                     });
  }
  // The container on network `name` (id "id-<name>") through an interface with MAC `mac`.
  void onNetwork(const std::string& name, const std::string& mac,
                 std::map<std::string, std::string> labels) {
    info_.networks.push_back({"id-" + name, name, mac, "", ""});
    networks_["id-" + name] = std::move(labels);
  }
  static std::vector<std::string> vrfsOf(const Wanted& w) {
    std::vector<std::string> out;
    for (const auto& p : w.interfaceVrfs)
      out.push_back(p.request.vrf + (p.request.strict ? "" : " (default)"));
    return out;
  }
  std::map<std::string, std::map<std::string, std::string>> networks_;

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
  temporary_.inside = InsideRequest{"green", std::nullopt, {}, false, {}};
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

// Two networks, each into a VRF of its own inside the container, a third into none.
TEST_F(WantedTest, EachLabelledNetworkItsOwnVrfInside) {
  onNetwork("front", "02:42:cb:00:71:02", {{"netvrf.container_vrf", "blue"}});
  onNetwork("back", "02:42:cb:00:71:12", {{"netvrf.container_vrf", "green"}});
  onNetwork("plain", "02:42:cb:00:71:22", {});
  Wanted w = wanted();
  ASSERT_EQ(w.interfaceVrfs.size(), 2u);
  EXPECT_EQ(w.interfaceVrfs[0].request.vrf, "blue");
  EXPECT_EQ(w.interfaceVrfs[0].request.macs, std::vector<std::string>{"02:42:cb:00:71:02"});
  EXPECT_TRUE(w.interfaceVrfs[0].request.interfaces.empty());
  EXPECT_EQ(w.interfaceVrfs[0].from, std::vector<std::string>{"network front"});
  EXPECT_EQ(vrfsOf(w), (std::vector<std::string>{"blue", "green"}));  // no default: all strict
  EXPECT_EQ(w.inside.source, WantSource::None);
  EXPECT_TRUE(w.interfaceError.empty());
  // A network netvrfd does not know (yet) asks for nothing.
  info_.networks.push_back({"id-unknown", "unknown", "02:42:cb:00:71:32", "", ""});
  EXPECT_EQ(wanted().interfaceVrfs.size(), 2u);
}

// One default for unbound sockets: netvrf.vrf's VRF, else the one VRF that claims it, else none
// (and an error when two do).
TEST_F(WantedTest, OneDefaultAtMost) {
  onNetwork("front", "02:42:cb:00:71:02",
            {{"netvrf.container_vrf", "blue"}, {"netvrf.default", "true"}});
  info_.labels = {{"netvrf.vrf.eth1", "mgmt"}};
  EXPECT_EQ(vrfsOf(wanted()), (std::vector<std::string>{"blue (default)", "mgmt"}));

  info_.labels["netvrf.default.eth1"] = "true";
  Wanted w = wanted();
  EXPECT_EQ(vrfsOf(w), (std::vector<std::string>{"blue", "mgmt"}));
  EXPECT_EQ(w.interfaceError,
            "VRFs blue and mgmt both say netvrf.default=true; unbound sockets stay outside every "
            "VRF");

  info_.labels["netvrf.vrf"] = "red";  // the container's own VRF comes first, without an error
  w = wanted();
  EXPECT_EQ(vrfsOf(w), (std::vector<std::string>{"blue", "mgmt"}));
  EXPECT_TRUE(w.interfaceError.empty());
  ASSERT_TRUE(w.inside.request);
  EXPECT_EQ(w.inside.request->vrf, "red");
  EXPECT_FALSE(w.inside.request->strict);
}

// A network into the container's own VRF adds nothing (that VRF takes every interface) unless
// that VRF names its interfaces; a stored detach keeps every VRF out; labels that cannot be used
// ask for nothing but their error.
TEST_F(WantedTest, InterfaceVrfsBesideTheContainersOwn) {
  onNetwork("front", "02:42:cb:00:71:02", {{"netvrf.container_vrf", "red"}});
  onNetwork("back", "02:42:cb:00:71:12", {{"netvrf.container_vrf", "green"}});
  info_.labels = {{"netvrf.vrf", "red"}};
  Wanted w = wanted();
  EXPECT_EQ(vrfsOf(w), std::vector<std::string>{"green"});
  EXPECT_TRUE(w.inside.request->macs.empty());

  info_.labels["netvrf.interfaces"] = "eth2";
  w = wanted();
  EXPECT_EQ(w.inside.request->interfaces, std::vector<std::string>{"eth2"});
  EXPECT_EQ(w.inside.request->macs, std::vector<std::string>{"02:42:cb:00:71:02"});

  storeInside("", true);
  w = wanted();
  EXPECT_EQ(w.inside.source, WantSource::Detached);
  EXPECT_TRUE(w.interfaceVrfs.empty());

  store_->erase("docker", "web1", StoredRequest::Part::Inside);
  info_.labels["netvrf.tabel"] = "1";
  w = wanted();
  EXPECT_TRUE(w.interfaceVrfs.empty());
  EXPECT_FALSE(w.inside.error.empty());
}

TEST_F(WantedTest, ANetworksBadLabelIsSaidAndTheOthersStillApply) {
  onNetwork("front", "02:42:cb:00:71:02", {{"netvrf.container_vrf", "blue"}});
  onNetwork("odd", "02:42:cb:00:71:12", {{"netvrf.strict", "true"}});
  Wanted w = wanted();
  EXPECT_EQ(vrfsOf(w), std::vector<std::string>{"blue"});
  EXPECT_EQ(w.interfaceError.rfind("network odd: label netvrf.strict=true: ", 0), 0u)
      << w.interfaceError;
}

}  // namespace
}  // namespace netvrf
