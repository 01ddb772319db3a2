// Stored requests: what netvrfctl attach and detach ask for is kept (vrf.requests_file) and
// applied again whenever a container of that name starts. Requests.* run on the host (the
// refusals, and a stored detach that keeps a labelled container out); RequestsKernel.* run in
// the VM with real VRFs (attach kept across restarts, recreation and netvrfd's own restart).
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "harness.hpp"

namespace netvrf::test {
namespace {

using namespace std::chrono_literals;
using nlohmann::json;

// Default routes through a gateway in VRF `vrf`'s table inside namespace entry `entry`.
size_t defaultRoutesIn(const std::string& entry, const std::string& vrf) {
  json routes = json::parse(run({"ip", "-n", entry, "-j", "route", "show", "vrf", vrf}).out,
                            nullptr, false);
  size_t n = 0;
  for (const auto& r : routes) n += r.value("dst", "") == "default" && r.contains("gateway");
  return n;
}

class Requests : public ::testing::Test {
 protected:
  void SetUp() override { NETVRF_REQUIRE(missingDocker()); }

  json requests(const SystemBus& bus) {
    Result r = netvrfctl(bus, {"--json", "requests"});
    EXPECT_EQ(r.status, 0) << r.out;
    return json::parse(r.out, nullptr, false);
  }
  // The stored request for `name`'s part inside its namespace, or null.
  json requestOf(const SystemBus& bus, const std::string& name) {
    for (const auto& r : requests(bus))
      if (r["container"] == name && r["part"] == "inside") return r;
    return nullptr;
  }
  bool listed(const SystemBus& bus, const std::string& name) {
    Result r = netvrfctl(bus, {"--json", "list"});
    json all = json::parse(r.out, nullptr, false);
    if (!all.is_array()) return false;
    for (const auto& c : all)
      if (c["name"] == name && c["state"] == "registered") return true;
    return false;
  }
  json status(const SystemBus& bus, const std::string& name) {
    Result r = netvrfctl(bus, {"--json", "status", name});
    EXPECT_EQ(r.status, 0) << r.out;
    return json::parse(r.out, nullptr, false);
  }
  static size_t count(const std::string& text, const std::string& what) {
    size_t n = 0;
    for (size_t at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
    return n;
  }
  static size_t registrations(const Netvrfd& d, const std::string& name) {
    return count(d.log(), ": registered as /var/run/netns/" + name + "\n");
  }
  // `docker restart -t 0 name`, and waits until netvrfd has registered its new instance and
  // finished that turn of its loop (a bus call is answered only after it), so that whatever it
  // decided for the new instance is in its log.
  bool restarted(const Netvrfd& d, const SystemBus& bus, const std::string& name) {
    size_t before = registrations(d, name);
    docker_.cli({"restart", "-t", "0", name});
    if (!waitUntil([&] { return registrations(d, name) > before; }, 30s)) return false;
    return netvrfctl(bus, {"list"}).status == 0;
  }
  // A line of netvrfd's about container `name` that says `what`.
  static bool says(const Netvrfd& d, const std::string& name, const std::string& what) {
    std::istringstream lines(d.log());
    for (std::string line; std::getline(lines, line);)
      if (line.find("container " + name + " (") != std::string::npos &&
          line.find(what) != std::string::npos)
        return true;
    return false;
  }
  static std::string masterOf(const std::string& entry, const std::string& dev = "eth0") {
    json l = json::parse(run({"ip", "-n", entry, "-j", "link", "show", dev}).out, nullptr, false);
    return l.is_array() && l.size() == 1 ? l[0].value("master", "") : "";
  }

  Docker docker_;
};

TEST_F(Requests, AnAttachThatFailsIsNotStored) {
  NETVRF_REQUIRE(missingVrfFreeKernel());
  SystemBus bus;
  Netvrfd d("", {bus.env()});
  ASSERT_TRUE(d.startReady()) << d.log();
  std::string name = docker_.uniqueName("nostore");
  docker_.runDetached(name);
  ASSERT_TRUE(waitUntil([&] { return listed(bus, name); })) << d.log();
  Result r = netvrfctl(bus, {"attach", name, "--vrf", "red"});
  EXPECT_EQ(r.status, 1);
  EXPECT_EQ(r.out.find("netvrfctl: org.netvrf1.Error.NotSupported: "), 0u) << r.out;
  EXPECT_EQ(requests(bus), json::array());
  EXPECT_FALSE(std::filesystem::exists(d.dir() + "/requests.json"));
  json st = status(bus, name);
  EXPECT_EQ(st["wanted"]["from"], "none");
  // The failure stays on the container, with its time (UTC), until it restarts.
  std::string last = st["last_error"];
  EXPECT_EQ(last.size() > 21 ? last.substr(4, 1) + last.substr(10, 1) + last.substr(19, 2) : "",
            "-TZ ")
      << last;
  EXPECT_NE(last.find(" not attached: attach to VRF red: "), std::string::npos) << last;
  EXPECT_NE(netvrfctl(bus, {"status", name}).out.find("Last error:"), std::string::npos);
  Result table = netvrfctl(bus, {"requests"});
  EXPECT_EQ(table.out, "CONTAINER  RUNTIME  PART  ACTION  VRF  TABLE\n");
}

// A labelled container detached by hand stays out across its restart and netvrfd's; the
// detach goes with `detach` of the stopped container. On this kernel the label itself cannot
// attach: what is checked is what netvrfd decides, from its log and its answers.
TEST_F(Requests, ADetachIsKeptAndKeepsALabelledContainerOut) {
  SystemBus bus;
  Netvrfd d("", {bus.env()});
  ASSERT_TRUE(d.startReady()) << d.log();
  std::string name = docker_.uniqueName("out");
  docker_.runDetached(name, {"--label", "netvrf.vrf=nvout"});
  ASSERT_TRUE(waitUntil([&] { return listed(bus, name); })) << d.log();
  std::string attaching = ": attaching to VRF nvout";
  ASSERT_TRUE(waitUntil([&] { return count(d.log(), attaching) == 1; })) << d.log();
  json st = status(bus, name);
  EXPECT_EQ(st["wanted"]["vrf"], "nvout");
  EXPECT_EQ(st["wanted"]["from"], "label");

  Result detached = netvrfctl(bus, {"detach", name});
  ASSERT_EQ(detached.status, 0) << detached.out << d.log();
  json stored = requestOf(bus, name);
  ASSERT_FALSE(stored.is_null()) << requests(bus).dump();
  EXPECT_EQ(stored["action"], "detach");
  EXPECT_EQ(stored["runtime"], "docker");
  EXPECT_EQ(stored["vrf"], "");
  EXPECT_NE(netvrfctl(bus, {"status", name}).out.find("none (a stored detach keeps it out)"),
            std::string::npos);

  ASSERT_TRUE(restarted(d, bus, name)) << d.log();
  EXPECT_TRUE(says(d, name, ": kept out of VRFs: a detach is stored for it")) << d.log();
  EXPECT_EQ(count(d.log(), attaching), 1u) << d.log();  // the label was not applied again
  EXPECT_EQ(masterOf(name), "");

  // netvrfd restarted: the file is read again.
  ASSERT_EQ(d.stop(), 0);
  d.start();
  ASSERT_TRUE(d.waitReady()) << d.log();
  EXPECT_EQ(requestOf(bus, name)["action"], "detach");
  ASSERT_TRUE(waitUntil([&] { return listed(bus, name); })) << d.log();
  EXPECT_EQ(count(d.log(), attaching), 1u) << d.log();

  // Gone: `detach` of a container that does not run removes what is stored for its name.
  docker_.remove(name);
  ASSERT_TRUE(waitUntil([&] { return !listed(bus, name); })) << d.log();
  Result forgot = netvrfctl(bus, {"detach", name});
  EXPECT_EQ(forgot.status, 0) << forgot.out;
  EXPECT_EQ(requests(bus), json::array());
  Result unknown = netvrfctl(bus, {"detach", name});
  EXPECT_EQ(unknown.out, "netvrfctl: org.netvrf1.Error.NoSuchContainer: no container " + name +
                             "\n");
}

TEST_F(Requests, ARequestsFileThatCannotBeReadStopsNetvrfdWithOneLine) {
  Netvrfd d;
  std::string file = d.dir() + "/requests.json";
  std::ofstream(file) << R"({"version": 1, "requests": [{"runtime": "docker", "name": "a",
      "part": "inside", "action": "attach", "vrf": "bad/name"}]})";
  d.start();
  EXPECT_EQ(d.wait(), 1) << d.log();
  EXPECT_NE(d.log().find("netvrfd: " + file + ": request 0: VRF 'bad/name': "), std::string::npos)
      << d.log();
  EXPECT_EQ(count(d.log(), "\n"), 1u) << d.log();
}

class RequestsKernel : public Requests {
 protected:
  void SetUp() override {
    NETVRF_REQUIRE(missingVrf());
    Requests::SetUp();
  }
};

TEST_F(RequestsKernel, AnAttachOutlivesRestartsRecreationAndNetvrfd) {
  SystemBus bus;
  Netvrfd d("", {bus.env()});
  ASSERT_TRUE(d.startReady()) << d.log();
  std::string name = docker_.uniqueName("keep");
  docker_.runDetached(name);
  ASSERT_TRUE(waitUntil([&] { return listed(bus, name); })) << d.log();
  Result attached = netvrfctl(bus, {"attach", name, "--vrf", "red"});
  ASSERT_EQ(attached.status, 0) << attached.out << d.log();
  EXPECT_EQ(attached.out, name + ": in VRF red (table 1001): eth0; kept\n");
  json stored = requestOf(bus, name);
  ASSERT_FALSE(stored.is_null());
  EXPECT_EQ(stored["action"], "attach");
  EXPECT_EQ(stored["vrf"], "red");
  EXPECT_EQ(masterOf(name), "red");

  // docker restart: a new process and namespace under the same name.
  pid_t before = docker_.pid(name);
  docker_.cli({"restart", "-t", "0", name});
  ASSERT_TRUE(waitUntil([&] { return docker_.pid(name) != before && masterOf(name) == "red"; },
                        30s))
      << d.log();
  EXPECT_EQ(defaultRoutesIn(name, "red"), 1u);
  json st = status(bus, name);
  EXPECT_EQ(st["vrf"], "red");
  EXPECT_EQ(st["wanted"]["vrf"], "red");
  EXPECT_EQ(st["wanted"]["from"], "request");

  // netvrfd killed and started: it finds the container attached, and leaves it so.
  d.signal(SIGKILL);
  d.wait();
  d.start();
  ASSERT_TRUE(d.waitReady()) << d.log();
  ASSERT_TRUE(waitUntil([&] { return status(bus, name)["vrf"] == "red"; }, 30s)) << d.log();
  EXPECT_EQ(masterOf(name), "red");
  EXPECT_EQ(defaultRoutesIn(name, "red"), 1u)
      << run({"ip", "-n", name, "route", "show", "vrf", "red"}).out;

  // docker rm + docker run with the same name (what compose does to recreate).
  docker_.remove(name);
  docker_.runDetached(name);
  ASSERT_TRUE(waitUntil([&] { return masterOf(name) == "red"; }, 30s)) << d.log();
  EXPECT_EQ(defaultRoutesIn(name, "red"), 1u);

  // --temporary: this instance only, nothing stored.
  std::string once = docker_.uniqueName("once");
  docker_.runDetached(once);
  ASSERT_TRUE(waitUntil([&] { return listed(bus, once); })) << d.log();
  Result temp = netvrfctl(bus, {"attach", once, "--vrf", "blue", "--temporary"});
  ASSERT_EQ(temp.status, 0) << temp.out << d.log();
  EXPECT_EQ(temp.out, once + ": in VRF blue (table 1002): eth0; until it stops\n");
  EXPECT_EQ(masterOf(once), "blue");
  EXPECT_TRUE(requestOf(bus, once).is_null());
  EXPECT_EQ(status(bus, once)["wanted"]["from"], "temporary");
  ASSERT_TRUE(restarted(d, bus, once)) << d.log();
  EXPECT_EQ(count(d.log(), ": attaching to VRF blue"), 1u) << d.log();
  EXPECT_EQ(masterOf(once), "");
  EXPECT_EQ(status(bus, once)["wanted"]["from"], "none");

  // A labelled container detached by hand stays out across its restart, until attached again.
  std::string labelled = docker_.uniqueName("lab");
  docker_.runDetached(labelled, {"--label", "netvrf.vrf=green"});
  ASSERT_TRUE(waitUntil([&] { return masterOf(labelled) == "green"; }, 30s)) << d.log();
  Result detached = netvrfctl(bus, {"detach", labelled});
  EXPECT_EQ(detached.out, labelled + ": detached from green\n") << d.log();
  EXPECT_EQ(requestOf(bus, labelled)["action"], "detach");
  ASSERT_TRUE(restarted(d, bus, labelled)) << d.log();
  EXPECT_TRUE(says(d, labelled, ": kept out of VRFs: a detach is stored for it")) << d.log();
  EXPECT_EQ(masterOf(labelled), "");
  EXPECT_EQ(status(bus, labelled)["wanted"]["from"], "detached");
  Result again = netvrfctl(bus, {"attach", labelled, "--vrf", "green"});
  ASSERT_EQ(again.status, 0) << again.out << d.log();
  EXPECT_EQ(masterOf(labelled), "green");
  EXPECT_EQ(requestOf(bus, labelled)["action"], "attach");

  // What status says is what the kernel has.
  for (const auto& [c, vrf] : {std::pair{name, "red"}, {once, ""}, {labelled, "green"}}) {
    json s = status(bus, c);
    EXPECT_EQ(s["vrf"], vrf) << c;
    EXPECT_EQ(masterOf(c), vrf) << c;
  }

  // Detached by hand: nothing stored for a container without labels, and it stays out.
  Result out = netvrfctl(bus, {"detach", name});
  EXPECT_EQ(out.out, name + ": detached from red\n");
  EXPECT_TRUE(requestOf(bus, name).is_null());
  ASSERT_TRUE(restarted(d, bus, name)) << d.log();
  EXPECT_EQ(masterOf(name), "");
  netvrfctl(bus, {"detach", labelled});
  docker_.remove(labelled);
  ASSERT_TRUE(waitUntil([&] { return !listed(bus, labelled); })) << d.log();
  EXPECT_EQ(netvrfctl(bus, {"detach", labelled}).status, 0);
  EXPECT_EQ(requests(bus), json::array());
}

// Policies in the configuration file: a reload applies them to running containers.
class Policies : public Requests {
 protected:
  // Rewrites the test daemon's configuration with these policies.
  static void setPolicies(const Netvrfd& d, const json& policies) {
    std::string path = d.dir() + "/netvrfd.json";
    json config = json::parse(std::ifstream(path));
    config["policies"] = policies;
    std::ofstream(path) << config.dump(2);
  }
  json wantedOf(const SystemBus& bus, const std::string& name) {
    return status(bus, name)["wanted"];
  }
};

TEST_F(Policies, AReloadAppliesThemAndStatusSaysWhichOne) {
  SystemBus bus;
  std::string shop = docker_.uniqueName("shop");
  std::string other = docker_.uniqueName("other");
  json first = json::array({{{"match", {{"compose_project", shop}}}, {"vrf", "nvred"}}});
  Netvrfd d(json{{"policies", first}}.dump(), {bus.env()});
  ASSERT_TRUE(d.startReady()) << d.log();
  docker_.runDetached(shop, {"--label", "com.docker.compose.project=" + shop});
  docker_.runDetached(other);
  ASSERT_TRUE(waitUntil([&] { return listed(bus, shop) && listed(bus, other); })) << d.log();
  EXPECT_TRUE(waitUntil([&] { return says(d, shop, ": attaching to VRF nvred (policy 0)"); }))
      << d.log();
  EXPECT_EQ(wantedOf(bus, shop), (json{{"vrf", "nvred"},
                                      {"from", "policy 0"},
                                      {"host_vrf", ""},
                                      {"host_from", "none"}}));
  EXPECT_EQ(wantedOf(bus, other)["from"], "none");
  EXPECT_NE(netvrfctl(bus, {"status", shop}).out.find("nvred (policy 0)"), std::string::npos);

  // A bad policy: one line naming it, and nothing changes.
  setPolicies(d, json::array({first[0], {{"match", {{"image", 7}}}, {"vrf", "nvblue"}}}));
  Result bad = netvrfctl(bus, {"reload"});
  EXPECT_EQ(bad.status, 1);
  EXPECT_EQ(bad.out, "netvrfctl: org.netvrf1.Error.InvalidConfig: " + d.dir() +
                         "/netvrfd.json: key 'policies[1].match.image' must be a string, not "
                         "number; the running configuration is kept\n");
  EXPECT_EQ(wantedOf(bus, shop)["from"], "policy 0");

  // Another policy in its place: the other container is wanted now, the first one no longer.
  setPolicies(d, json::array({{{"match", {{"name", other}}}, {"vrf", "nvblue"}}}));
  Result ok = netvrfctl(bus, {"reload"});
  EXPECT_EQ(ok.status, 0) << ok.out;
  EXPECT_EQ(wantedOf(bus, other)["vrf"], "nvblue");
  EXPECT_EQ(wantedOf(bus, other)["from"], "policy 0");
  EXPECT_EQ(wantedOf(bus, shop)["from"], "none");
  EXPECT_TRUE(says(d, other, ": attaching to VRF nvblue (policy 0)")) << d.log();
}

class PoliciesKernel : public Policies {
 protected:
  void SetUp() override {
    NETVRF_REQUIRE(missingVrf());
    Policies::SetUp();
  }
};

// One policy by compose project, one by image; a container's own label comes before both. A
// reload that drops a policy takes back only what it attached; one that changes a policy's VRF
// moves its containers.
TEST_F(PoliciesKernel, AReloadTakesBackOnlyWhatAPolicyAttached) {
  SystemBus bus;
  std::string shop = docker_.uniqueName("shop");
  std::string plain = docker_.uniqueName("plain");
  std::string own = docker_.uniqueName("own");
  std::string image = testImage();
  json compose = {{"match", {{"compose_project", shop}}}, {"vrf", "red"}};
  json byImage = {{"match", {{"image", image.substr(0, image.find('/')) + "/*"}}}, {"vrf", "blue"}};
  Netvrfd d(json{{"policies", {compose, byImage}}}.dump(), {bus.env()});
  ASSERT_TRUE(d.startReady()) << d.log();
  docker_.runDetached(shop, {"--label", "com.docker.compose.project=" + shop});
  docker_.runDetached(plain);
  docker_.runDetached(own, {"--label", "netvrf.vrf=green"});
  ASSERT_TRUE(waitUntil([&] {
    return masterOf(shop) == "red" && masterOf(plain) == "blue" && masterOf(own) == "green";
  }, 60s)) << d.log();
  EXPECT_EQ(status(bus, plain)["wanted"]["from"], "policy 1");
  EXPECT_EQ(status(bus, own)["wanted"]["from"], "label");

  // The image policy goes: only `plain` leaves its VRF.
  size_t redAttaches = count(d.log(), ": attaching to VRF red");
  setPolicies(d, json::array({compose}));
  ASSERT_EQ(netvrfctl(bus, {"reload"}).status, 0);
  EXPECT_TRUE(waitUntil([&] { return masterOf(plain) == ""; }, 30s)) << d.log();
  EXPECT_TRUE(says(d, plain, ": VRF blue came from a policy that no longer asks for it"))
      << d.log();
  EXPECT_EQ(masterOf(shop), "red");
  EXPECT_EQ(masterOf(own), "green");
  EXPECT_EQ(count(d.log(), ": attaching to VRF red"), redAttaches);  // left as it was
  EXPECT_EQ(run({"ip", "-n", plain, "link", "show", "blue"}).status, 1);  // netvrfd's, deleted
  json routes = json::parse(run({"ip", "-n", plain, "-j", "route", "show", "default"}).out);
  EXPECT_EQ(routes.size(), 1u) << routes.dump();  // its default route back in the main table

  // The compose policy moves to another VRF: its container follows.
  compose["vrf"] = "purple";
  setPolicies(d, json::array({compose}));
  ASSERT_EQ(netvrfctl(bus, {"reload"}).status, 0);
  EXPECT_TRUE(waitUntil([&] { return masterOf(shop) == "purple"; }, 30s)) << d.log();
  EXPECT_EQ(defaultRoutesIn(shop, "purple"), 1u);
  EXPECT_EQ(status(bus, shop)["vrf"], "purple");
  EXPECT_EQ(masterOf(own), "green");
  EXPECT_EQ(masterOf(plain), "");
}

}  // namespace
}  // namespace netvrf::test
