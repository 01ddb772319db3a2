// netvrfd's D-Bus API on a private system bus with the project's own policy, through netvrfctl
// and through the raw bus (busctl), against a real dockerd.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <thread>

#include "harness.hpp"

namespace netvrf::test {
namespace {

using namespace std::chrono_literals;
using nlohmann::json;

class Dbus : public ::testing::Test {
 protected:
  void SetUp() override { NETVRF_REQUIRE(missingDocker()); }

  // netvrfctl --json list, as a name -> entry map.
  std::map<std::string, json> listed(const SystemBus& bus) {
    Result r = netvrfctl(bus, {"--json", "list"});
    EXPECT_EQ(r.status, 0) << r.out;
    std::map<std::string, json> out;
    for (const auto& c : json::parse(r.out)) out[c["name"]] = c;
    return out;
  }

  Docker docker_;
};

TEST_F(Dbus, ContainersAreListedThroughNetvrfctlAndTheRawBus) {
  SystemBus bus;
  Netvrfd d("", {bus.env()});
  ASSERT_TRUE(d.startReady()) << d.log();
  std::string name = docker_.uniqueName("api");
  std::string id = docker_.runDetached(name);
  ASSERT_TRUE(waitUntil([&] { return listed(bus).count(name); })) << d.log();

  json c = listed(bus)[name];
  EXPECT_EQ(c["id"], id);
  EXPECT_EQ(c["runtime"], "docker");
  EXPECT_EQ(c["netns"], name);
  EXPECT_EQ(c["state"], "registered");
  EXPECT_EQ(c["pid"], docker_.pid(name));
  EXPECT_EQ(c["vrf"], "");

  Result table = netvrfctl(bus, {"list"});
  EXPECT_EQ(table.out.substr(0, table.out.find('\n')).find("NAME"), 0u) << table.out;
  EXPECT_NE(table.out.find(name + "  " + id.substr(0, 12) + "  docker"), std::string::npos)
      << table.out;

  Result status = netvrfctl(bus, {"--json", "status", id.substr(0, 10)});
  ASSERT_EQ(status.status, 0) << status.out;
  EXPECT_EQ(json::parse(status.out)["name"], name);

  json described = json::parse(netvrfctl(bus, {"describe"}).out);
  EXPECT_EQ(described["runtimes"]["docker"], "connected");
  bool found = false;
  for (const auto& x : described["containers"])
    found |= x["name"] == name && x["netns_path"] == "/var/run/netns/" + name;
  EXPECT_TRUE(found) << described.dump();

  // The raw bus: the same answer without netvrfctl.
  Result raw = run({"env", bus.env(), "busctl", "--system", "--json=short", "call", "org.netvrf1",
                    "/org/netvrf1", "org.netvrf1.Manager", "ListContainers"});
  ASSERT_EQ(raw.status, 0) << raw.out;
  json rawJson = json::parse(raw.out);
  EXPECT_EQ(rawJson["type"], "a(ssssusss)");
  EXPECT_NE(rawJson.dump().find(id), std::string::npos) << raw.out;
}

TEST_F(Dbus, MonitorPrintsEveryChangeAsItHappens) {
  SystemBus bus;
  Netvrfd d("", {bus.env()});
  ASSERT_TRUE(d.startReady()) << d.log();
  Result monitored;
  std::thread monitor([&] { monitored = netvrfctl(bus, {"--json", "monitor"}); });
  std::this_thread::sleep_for(500ms);  // subscribed
  std::string name = docker_.uniqueName("mon");
  docker_.runDetached(name);
  ASSERT_TRUE(waitUntil([&] { return listed(bus).count(name); })) << d.log();
  docker_.remove(name);
  ASSERT_TRUE(waitUntil([&] { return !listed(bus).count(name); })) << d.log();
  d.signal(SIGTERM);
  d.wait();
  bus.stop();  // ends the monitor: its bus went away
  monitor.join();
  std::vector<std::string> states;
  std::istringstream lines(monitored.out);
  for (std::string line; std::getline(lines, line);) {
    json e = json::parse(line, nullptr, false);
    if (e.is_object() && e["name"] == name) states.push_back(e["state"]);
  }
  EXPECT_EQ(states, (std::vector<std::string>{"registered", "unregistered"})) << monitored.out;
}

TEST_F(Dbus, AnyUserMayReadAndEveryFailureIsOneNamedLine) {
  SystemBus bus;
  Netvrfd d("", {bus.env()});
  ASSERT_TRUE(d.startReady()) << d.log();
  Result asNobody = run({"setpriv", "--reuid", "65534", "--regid", "65534", "--clear-groups", "env",
                         bus.env(), netvrfctlPath(), "--json", "list"});
  EXPECT_EQ(asNobody.status, 0) << asNobody.out;
  EXPECT_TRUE(json::parse(asNobody.out).is_array());

  Result unknown = netvrfctl(bus, {"status", "no-such-container"});
  EXPECT_EQ(unknown.status, 1);
  EXPECT_EQ(unknown.out,
            "netvrfctl: org.netvrf1.Error.NoSuchContainer: no container no-such-container\n");

  d.signal(SIGTERM);
  d.wait();
  Result down = netvrfctl(bus, {"list"});
  EXPECT_EQ(down.status, 1);
  EXPECT_EQ(down.out.find("netvrfctl: org.freedesktop.DBus.Error.ServiceUnknown: "), 0u)
      << down.out;
  EXPECT_NE(down.out.find("(is netvrfd running?)"), std::string::npos) << down.out;
  EXPECT_EQ(std::count(down.out.begin(), down.out.end(), '\n'), 1);
}

}  // namespace
}  // namespace netvrf::test
