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
  EXPECT_EQ(status(bus, name)["wanted"]["from"], "none");
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
  static size_t defaultRoutesIn(const std::string& entry, const std::string& vrf) {
    json routes = json::parse(run({"ip", "-n", entry, "-j", "route", "show", "vrf", vrf}).out,
                              nullptr, false);
    size_t n = 0;
    for (const auto& r : routes) n += r.value("dst", "") == "default" && r.contains("gateway");
    return n;
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

}  // namespace
}  // namespace netvrf::test
