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
  Background monitor({"env", bus.env(), netvrfctlPath(), "--json", "monitor"});
  ASSERT_TRUE(monitor.waitFor(R"({"monitoring":"org.netvrf1"})")) << monitor.output();
  std::string name = docker_.uniqueName("mon");
  docker_.runDetached(name);
  ASSERT_TRUE(waitUntil([&] { return listed(bus).count(name); })) << d.log();
  docker_.remove(name);
  ASSERT_TRUE(waitUntil([&] { return !listed(bus).count(name); })) << d.log();
  d.signal(SIGTERM);
  d.wait();
  bus.stop();  // ends the monitor: its bus went away
  Result monitored = monitor.finish();
  std::vector<std::string> states;
  std::istringstream lines(monitored.out);
  for (std::string line; std::getline(lines, line);) {
    json e = json::parse(line, nullptr, false);
    // A state line again when the view changed and the state did not: registered from
    // containerd's task start, then again once Docker's inspection added its networks.
    if (e.is_object() && e["name"] == name && (states.empty() || states.back() != e["state"]))
      states.push_back(e["state"]);
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

// The master of eth0 in netns entry `entry`; "" when it has none.
std::string masterOf(const std::string& entry) {
  Result r = run({"ip", "-n", entry, "-j", "link", "show", "eth0"});
  json l = json::parse(r.out, nullptr, false);
  return l.is_array() && l.size() == 1 ? l[0].value("master", "") : "";
}

Result asNobody(const SystemBus& bus, std::vector<std::string> args) {
  args.insert(args.begin(), {"setpriv", "--reuid", "65534", "--regid", "65534", "--clear-groups",
                             "env", bus.env()});
  return run(args);
}

TEST_F(Dbus, ChangingAnythingIsForRootOnly) {
  SystemBus bus;
  Netvrfd d("", {bus.env()});
  ASSERT_TRUE(d.startReady()) << d.log();
  std::string name = docker_.uniqueName("auth");
  docker_.runDetached(name);
  ASSERT_TRUE(waitUntil([&] { return listed(bus).count(name); })) << d.log();
  Result attach = asNobody(bus, {netvrfctlPath(), "attach", name, "--vrf", "red"});
  EXPECT_EQ(attach.status, 1);
  EXPECT_EQ(attach.out,
            "netvrfctl: org.freedesktop.DBus.Error.AccessDenied: AttachContainer is for root "
            "only (caller uid 65534)\n");
  Result detach = asNobody(bus, {netvrfctlPath(), "detach", name});
  EXPECT_EQ(detach.out,
            "netvrfctl: org.freedesktop.DBus.Error.AccessDenied: DetachContainer is for root "
            "only (caller uid 65534)\n");
  Result reload = asNobody(bus, {netvrfctlPath(), "reload"});
  EXPECT_EQ(reload.out,
            "netvrfctl: org.freedesktop.DBus.Error.AccessDenied: Reload is for root only (caller "
            "uid 65534)\n");
  Result raw = asNobody(
      bus, {"busctl", "--system", "call", "org.netvrf1", "/org/netvrf1", "org.netvrf1.Manager",
            "AttachContainer", "ssa{sv}", name.c_str(), "red", "0"});
  EXPECT_NE(raw.status, 0);
  EXPECT_NE(raw.out.find("Access denied"), std::string::npos) << raw.out;  // busctl's words
  EXPECT_EQ(masterOf(name), "");
  EXPECT_EQ(listed(bus)[name]["vrf"], "");
}

TEST_F(Dbus, BadArgumentsGetSpecificErrorsAndChangeNothing) {
  SystemBus bus;
  Netvrfd d("", {bus.env()});
  ASSERT_TRUE(d.startReady()) << d.log();
  std::string name = docker_.uniqueName("badarg");
  docker_.runDetached(name);
  ASSERT_TRUE(waitUntil([&] { return listed(bus).count(name); })) << d.log();
  auto error = [&](std::vector<std::string> args) { return netvrfctl(bus, args).out; };
  EXPECT_EQ(error({"attach", "no-such-container", "--vrf", "red"}),
            "netvrfctl: org.netvrf1.Error.NoSuchContainer: no container no-such-container\n");
  EXPECT_EQ(error({"attach", name, "--vrf", "a-very-long-name"}),
            "netvrfctl: org.netvrf1.Error.InvalidArgument: VRF 'a-very-long-name': the interface "
            "name 'a-very-long-name' is 16 bytes long (at most 15)\n");
  EXPECT_EQ(error({"attach", name, "--vrf", "red", "--table", "254"}),
            "netvrfctl: org.netvrf1.Error.InvalidArgument: table 254 is reserved (253 default, "
            "254 main, 255 local)\n");
  EXPECT_EQ(error({"attach", name, "--vrf", "red", "--interface", "../x"}),
            "netvrfctl: org.netvrf1.Error.InvalidArgument: '../x': the interface name contains "
            "'/', ':', a space or a control character\n");
  // Refused by the engine in the container's namespace, before anything changes.
  EXPECT_EQ(error({"attach", name, "--vrf", "red", "--interface", "eth9"}),
            "netvrfctl: org.netvrf1.Error.InvalidArgument: no interface eth9 in this namespace\n");
  EXPECT_EQ(error({"attach", name, "--vrf", "red", "--table", "x"}),
            "netvrfctl: attach: --table: 'x' is not a table number (see netvrfctl attach "
            "--help)\n");
  Result wrongType = run({"env", bus.env(), "busctl", "--system", "call", "org.netvrf1",
                          "/org/netvrf1", "org.netvrf1.Manager", "AttachContainer", "ssa{sv}", name,
                          "red", "1", "table", "s", "1001"});
  EXPECT_NE(wrongType.out.find("option 'table' has the wrong type"), std::string::npos)
      << wrongType.out;
  Result unknownOption = run({"env", bus.env(), "busctl", "--system", "call", "org.netvrf1",
                              "/org/netvrf1", "org.netvrf1.Manager", "AttachContainer", "ssa{sv}",
                              name, "red", "1", "colour", "s", "red"});
  EXPECT_NE(unknownOption.out.find("unknown option 'colour'"), std::string::npos)
      << unknownOption.out;
  EXPECT_EQ(masterOf(name), "");
  EXPECT_EQ(listed(bus)[name]["vrf"], "");
  EXPECT_EQ(listed(bus)[name]["state"], "registered");
}

TEST_F(Dbus, AttachWithoutVrfSupportIsNotSupportedAndChangesNothing) {
  NETVRF_REQUIRE(missingVrfFreeKernel());
  SystemBus bus;
  Netvrfd d("", {bus.env()});
  ASSERT_TRUE(d.startReady()) << d.log();
  std::string name = docker_.uniqueName("nosup");
  docker_.runDetached(name);
  ASSERT_TRUE(waitUntil([&] { return listed(bus).count(name); })) << d.log();
  Result r = netvrfctl(bus, {"attach", name, "--vrf", "red", "--table", "1001"});
  EXPECT_EQ(r.status, 1);
  EXPECT_EQ(
      r.out,
      "netvrfctl: org.netvrf1.Error.NotSupported: attach to VRF red: create VRF red (table "
      "1001) failed: VRF red: this kernel has no VRF support (CONFIG_NET_VRF); rolled back\n");
  EXPECT_EQ(masterOf(name), "");
  EXPECT_EQ(run({"ip", "-n", name, "link", "show", "red"}).status, 1);
}

// The master of host interface `dev`; "" when it has none.
std::string hostMaster(const std::string& dev) {
  json l = json::parse(run({"ip", "-j", "link", "show", dev}).out, nullptr, false);
  return l.is_array() && l.size() == 1 ? l[0].value("master", "") : "";
}

TEST_F(Dbus, NetworksAreListedAndBadNetworkRequestsChangeNothing) {
  SystemBus bus;
  Netvrfd d("", {bus.env()});
  ASSERT_TRUE(d.startReady()) << d.log();
  std::string name = docker_.uniqueName("net");
  std::string bridge = docker_.createNetwork(name, {"--subnet", "203.0.113.80/28"});
  json expected{{"runtime", "docker"}, {"name", name}, {"bridge", bridge}, {"vrf", ""}};
  auto listedNetwork = [&] {
    json all = json::parse(netvrfctl(bus, {"--json", "network", "list"}).out);
    for (auto& n : all)
      if (n["name"] == name) return n;
    return json();
  };
  ASSERT_TRUE(waitUntil([&] { return !listedNetwork().is_null(); })) << d.log();
  json n = listedNetwork();
  n.erase("id");
  EXPECT_EQ(n, expected);
  Result table = netvrfctl(bus, {"network", "list"});
  EXPECT_NE(table.out.find(bridge), std::string::npos) << table.out;

  auto out = [&](std::vector<std::string> args) { return netvrfctl(bus, args).out; };
  EXPECT_EQ(out({"network", "attach", "no-such-net", "--vrf", "nvblue"}),
            "netvrfctl: org.netvrf1.Error.NoSuchNetwork: no network no-such-net\n");
  EXPECT_EQ(out({"network", "attach", name, "--vrf", "a/b"}),
            "netvrfctl: org.netvrf1.Error.InvalidArgument: VRF 'a/b': the interface name contains "
            "'/', ':', a space or a control character\n");
  EXPECT_EQ(out({"network", "detach", name}), name + ": not in a VRF; nothing to do\n");
  Result nobody = asNobody(bus, {netvrfctlPath(), "network", "attach", name, "--vrf", "nvblue"});
  EXPECT_EQ(nobody.out.find("netvrfctl: org.freedesktop.DBus.Error.AccessDenied: "), 0u)
      << nobody.out;
  if (!kernelHasVrf()) {
    Result r = netvrfctl(bus, {"network", "attach", name, "--vrf", "nvblue", "--table", "1001"});
    EXPECT_EQ(r.out.find("netvrfctl: org.netvrf1.Error.NotSupported: "), 0u) << r.out;
  }
  EXPECT_EQ(hostMaster(bridge), "");
  EXPECT_EQ(listedNetwork()["vrf"], "");
}

class DbusKernel : public Dbus {
 protected:
  void SetUp() override {
    NETVRF_REQUIRE(missingVrf());
    Dbus::SetUp();
  }
};

TEST_F(DbusKernel, AttachAndDetachThroughNetvrfctl) {
  SystemBus bus;
  Netvrfd d("", {bus.env()});
  ASSERT_TRUE(d.startReady()) << d.log();
  std::string name = docker_.uniqueName("api");
  docker_.runDetached(name);
  ASSERT_TRUE(waitUntil([&] { return listed(bus).count(name); })) << d.log();

  Result attached = netvrfctl(bus, {"--json", "attach", name, "--vrf", "red"});
  ASSERT_EQ(attached.status, 0) << attached.out << d.log();
  json a = json::parse(attached.out);
  EXPECT_EQ(a["table"], 1001);
  EXPECT_EQ(a["interfaces"], json::array({"eth0"}));
  EXPECT_EQ(masterOf(name), "red");
  EXPECT_EQ(listed(bus)[name]["vrf"], "red");
  Result again = netvrfctl(bus, {"attach", name, "--vrf", "red"});
  EXPECT_EQ(again.out, name + ": in VRF red (table 1001): eth0; kept\n");
  Result taken = netvrfctl(bus, {"attach", name, "--vrf", "blue", "--table", "1001"});
  EXPECT_EQ(taken.out,
            "netvrfctl: org.netvrf1.Error.TableInUse: VRF blue: table 1001 is in use by VRF red\n");

  Result detached = netvrfctl(bus, {"detach", name});
  ASSERT_EQ(detached.status, 0) << detached.out << d.log();
  EXPECT_EQ(detached.out, name + ": detached from red\n");
  EXPECT_EQ(masterOf(name), "");
  Result routes = run({"ip", "-n", name, "-j", "route", "show", "default"});
  EXPECT_NE(routes.out.find("198.51.100.1"), std::string::npos) << routes.out;
  EXPECT_EQ(run({"ip", "-n", name, "link", "show", "red"}).status, 1);
  EXPECT_EQ(netvrfctl(bus, {"detach", name}).out, name + ": not in a VRF; nothing to do\n");
  EXPECT_EQ(listed(bus)[name]["vrf"], "");
}

TEST_F(DbusKernel, NetworkAttachAndDetachThroughNetvrfctl) {
  SystemBus bus;
  Netvrfd d("", {bus.env()});
  ASSERT_TRUE(d.startReady()) << d.log();
  std::string name = docker_.uniqueName("net");
  std::string bridge = docker_.createNetwork(name, {"--subnet", "203.0.113.96/28"});
  Result attached;
  ASSERT_TRUE(waitUntil([&] {
    attached = netvrfctl(bus, {"network", "attach", name, "--vrf", "nvblue"});
    return attached.out.find("NoSuchNetwork") == std::string::npos;  // netvrfd has seen it
  })) << attached.out;
  EXPECT_EQ(attached.out, name + ": bridge " + bridge + " in VRF nvblue (table 1001)\n")
      << d.log();
  EXPECT_EQ(hostMaster(bridge), "nvblue");
  Result vrfRoutes = run({"ip", "-j", "route", "show", "vrf", "nvblue"});
  EXPECT_NE(vrfRoutes.out.find("203.0.113.96/28"), std::string::npos) << vrfRoutes.out;
  Result listedNets = netvrfctl(bus, {"--json", "network", "list"});
  EXPECT_NE(listedNets.out.find(R"("name":")" + name + R"(","runtime":"docker","vrf":"nvblue")"),
            std::string::npos)
      << listedNets.out;
  Result other = netvrfctl(bus, {"network", "attach", name, "--vrf", "nvred"});
  EXPECT_EQ(other.out.find("netvrfctl: org.netvrf1.Error.InvalidArgument: network " + name + " ("),
            0u)
      << other.out;
  EXPECT_NE(other.out.find(", bridge " + bridge + ") is in VRF nvblue; detach it first\n"),
            std::string::npos)
      << other.out;
  EXPECT_EQ(hostMaster(bridge), "nvblue");

  EXPECT_EQ(netvrfctl(bus, {"network", "detach", name}).out, name + ": detached from nvblue\n");
  EXPECT_EQ(hostMaster(bridge), "");
  Result mainRoutes = run({"ip", "-j", "route", "show", "table", "main"});
  EXPECT_NE(mainRoutes.out.find("203.0.113.96/28"), std::string::npos) << mainRoutes.out;
  EXPECT_NE(run({"ip", "link", "show", "nvblue"}).status, 0);  // netvrfd made it; now empty
  EXPECT_EQ(netvrfctl(bus, {"network", "detach", name}).out, name + ": not in a VRF; nothing to do\n");
}

// Someone else deletes the VRF netvrfd made in a labelled container, releases the interface
// from it, and deletes the host VRF a labelled network's bridge is in: each is reported, shows
// on the bus, and the labels are applied again.
TEST_F(DbusKernel, ChangesBehindItsBackAreReportedAndTheLabelsAppliedAgain) {
  SystemBus bus;
  Netvrfd d("", {bus.env()});
  ASSERT_TRUE(d.startReady()) << d.log();
  std::string name = docker_.uniqueName("back");
  docker_.runDetached(name, {"--label", "netvrf.vrf=red"});
  ASSERT_TRUE(waitUntil([&] { return masterOf(name) == "red"; }, 30s)) << d.log();
  ASSERT_TRUE(waitUntil([&] { return listed(bus)[name]["vrf"] == "red"; })) << d.log();
  Background monitor({"env", bus.env(), netvrfctlPath(), "--json", "monitor"});
  ASSERT_TRUE(monitor.waitFor(R"({"monitoring":"org.netvrf1"})")) << monitor.output();

  auto says = [&](const std::string& text) {
    return waitUntil([&] { return d.log().find(text) != std::string::npos; }, 20s);
  };
  EXPECT_EQ(run({"ip", "-n", name, "link", "del", "red"}).status, 0);
  EXPECT_TRUE(
      says(": VRF red was deleted behind netvrfd's back; attaching it again, as its "
           "labels ask"))
      << d.log();
  EXPECT_TRUE(waitUntil([&] { return masterOf(name) == "red"; }, 30s)) << d.log();
  EXPECT_TRUE(waitUntil([&] { return listed(bus)[name]["vrf"] == "red"; })) << d.log();
  // The default route went with the VRF's table; it is back, and nothing blocks the table.
  auto defaultInVrf = [&] {
    return run({"ip", "-n", name, "route", "show", "vrf", "red"})
               .out.find("default via 198.51.100.1") != std::string::npos;
  };
  EXPECT_TRUE(waitUntil(defaultInVrf, 10s))
      << run({"ip", "-n", name, "route", "show", "vrf", "red"}).out << d.log();

  EXPECT_EQ(run({"ip", "-n", name, "link", "set", "eth0", "nomaster"}).status, 0);
  EXPECT_TRUE(says(": eth0 left VRF red behind netvrfd's back; attaching it again")) << d.log();
  EXPECT_TRUE(waitUntil([&] { return masterOf(name) == "red"; }, 30s)) << d.log();
  EXPECT_TRUE(waitUntil(defaultInVrf, 10s))
      << run({"ip", "-n", name, "route", "show", "vrf", "red"}).out << d.log();

  // The host: a labelled network's bridge in VRF nvgreen, which someone deletes.
  std::string net = docker_.uniqueName("backnet");
  std::string bridge =
      docker_.createNetwork(net, {"--subnet", "203.0.113.112/28", "--label", "netvrf.vrf=nvgreen"});
  EXPECT_TRUE(waitUntil([&] { return hostMaster(bridge) == "nvgreen"; }, 30s)) << d.log();
  EXPECT_EQ(run({"ip", "link", "del", "nvgreen"}).status, 0);
  EXPECT_TRUE(
      says(": VRF nvgreen was deleted behind netvrfd's back; attaching it again if "
           "labelled"))
      << d.log();
  EXPECT_TRUE(waitUntil([&] { return hostMaster(bridge) == "nvgreen"; }, 30s)) << d.log();
  EXPECT_TRUE(waitUntil([&] {
    return netvrfctl(bus, {"--json", "vrf", "list"}).out.find(bridge) != std::string::npos;
  })) << d.log();

  d.signal(SIGTERM);
  d.wait();
  bus.stop();  // ends the monitor
  Result monitored = monitor.finish();
  // Its object followed: out of the VRF when it was deleted, in it again after.
  std::vector<std::string> vrfs;
  std::istringstream lines(monitored.out);
  for (std::string line; std::getline(lines, line);) {
    json e = json::parse(line, nullptr, false);
    if (e.is_object() && e["name"] == name && (vrfs.empty() || vrfs.back() != e["vrf"]))
      vrfs.push_back(e["vrf"]);
  }
  ASSERT_GE(vrfs.size(), 2u) << monitored.out;
  EXPECT_EQ(vrfs[0], "");
  EXPECT_EQ(vrfs[1], "red");
  // What netvrfd left on the host would hand the next test in this VM other tables.
  run({"ip", "link", "del", "nvgreen"});
}

}  // namespace
}  // namespace netvrf::test
