// The rest of netvrfd's D-Bus API on a private bus, through netvrfctl and the raw bus (busctl,
// gdbus): namespaces of plain processes, VRFs on the host, the object tree and its signals,
// per-verb help. DbusApi.* runs on the host; DbusApiKernel.* (real VRFs) in the VM.
#include <gtest/gtest.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <thread>

#include "dbus/object_path.hpp"
#include "harness.hpp"

namespace netvrf::test {
namespace {

using namespace std::chrono_literals;
using nlohmann::json;

std::string uniqueNs(const std::string& stem) {
  static int counter = 0;
  return "nvt" + std::to_string(getpid()) + stem + std::to_string(++counter);
}

std::string containerPath(const std::string& entry) {
  return objectPath("/org/netvrf1/container", "process/" + entry);
}

// busctl get-property on one of netvrfd's objects: "u 1001", "s \"red\""...
std::string property(const SystemBus& bus, const std::string& path, const std::string& iface,
                     const std::string& name) {
  Result r = run({"env", bus.env(), "busctl", "--system", "get-property", "org.netvrf1", path,
                  iface, name});
  return r.status == 0 ? r.out.substr(0, r.out.find('\n')) : "error: " + r.out;
}

bool objectExists(const SystemBus& bus, const std::string& path) {
  Result r = run({"env", bus.env(), "busctl", "--system", "--json=short", "call", "org.netvrf1",
                  "/org/netvrf1", "org.freedesktop.DBus.ObjectManager", "GetManagedObjects"});
  return r.status == 0 && json::parse(r.out)["data"][0].contains(path);
}

Result asNobody(const SystemBus& bus, std::vector<std::string> args) {
  args.insert(args.begin(), {"setpriv", "--reuid", "65534", "--regid", "65534", "--clear-groups",
                             "env", bus.env(), netvrfctlPath()});
  return run(args);
}

// `gdbus monitor` on org.netvrf1 for `seconds`, in the background: every signal it sends.
// gdbus subscribes, then asks who owns the name; the answer comes after the subscription is
// in place (one connection, in order), so its line means ready.
class SignalLog {
 public:
  SignalLog(const SystemBus& bus, int seconds)
      : monitor_({"env", bus.env(), "timeout", std::to_string(seconds), "gdbus", "monitor",
                  "--system", "--dest", "org.netvrf1"}) {
    EXPECT_TRUE(monitor_.waitFor("The name org.netvrf1 ")) << monitor_.output();
  }
  std::string wait() { return monitor_.finish().out; }

 private:
  Background monitor_;
};

class DbusApi : public ::testing::Test {
 protected:
  void SetUp() override { NETVRF_REQUIRE(missingRoot()); }
};

TEST_F(DbusApi, APlainProcessNamespaceComesAndGoesWithItsProcess) {
  SystemBus bus;
  Netvrfd d(R"({"docker": {"enabled": false}})", {bus.env()});
  ASSERT_TRUE(d.startReady()) << d.log();
  NetnsProcess p;
  std::string name = uniqueNs("plain");
  std::string path = containerPath(name);
  SignalLog signals(bus, 6);

  Result added = netvrfctl(bus, {"netns", "add", name, "--pid", std::to_string(p.pid())});
  ASSERT_EQ(added.status, 0) << added.out << d.log();
  EXPECT_EQ(added.out, name + ": /var/run/netns/" + name + " (until PID " +
                           std::to_string(p.pid()) + " exits)\n");
  EXPECT_TRUE(ipNetnsLists(name));
  EXPECT_EQ(entryNs(name), nsIdentityOfPath("/proc/" + std::to_string(p.pid()) + "/ns/net"));
  json listed = json::parse(netvrfctl(bus, {"--json", "netns", "ls"}).out);
  json expected{{"name", name}, {"runtime", "process"}, {"owner", name}, {"pid", p.pid()}};
  EXPECT_NE(std::find(listed.begin(), listed.end(), expected), listed.end()) << listed.dump();
  EXPECT_EQ(property(bus, path, "org.netvrf1.Container", "Pid"), "u " + std::to_string(p.pid()));
  EXPECT_EQ(property(bus, path, "org.netvrf1.Container", "NetnsPath"),
            "s \"/var/run/netns/" + name + "\"");

  p.kill();
  ASSERT_TRUE(waitUntil([&] { return !entryExists(name); })) << d.log();
  EXPECT_TRUE(waitUntil([&] { return !objectExists(bus, path); }));
  std::string log = signals.wait();
  EXPECT_NE(log.find("InterfacesAdded (objectpath '" + path + "', {'org.netvrf1.Container'"),
            std::string::npos)
      << log;
  EXPECT_NE(log.find(path + ": org.freedesktop.DBus.Properties.PropertiesChanged "
                            "('org.netvrf1.Container', {"),
            std::string::npos)
      << log;
  EXPECT_NE(log.find("'State': <'unregistered'>"), std::string::npos) << log;
  EXPECT_NE(log.find("InterfacesRemoved (objectpath '" + path + "', ['org.netvrf1.Container'])"),
            std::string::npos)
      << log;

  // Registered again, then taken back by hand.
  NetnsProcess q;
  ASSERT_EQ(netvrfctl(bus, {"netns", "add", name, "--pid", std::to_string(q.pid())}).status, 0);
  EXPECT_EQ(netvrfctl(bus, {"netns", "del", name}).out, name + ": removed\n");
  EXPECT_FALSE(entryExists(name));
  EXPECT_EQ(netvrfctl(bus, {"netns", "del", name}).out,
            "netvrfctl: org.netvrf1.Error.NoSuchNamespace: no namespace " + name + "\n");
}

TEST_F(DbusApi, NamespaceErrorsAreNamedAndChangeNothing) {
  SystemBus bus;
  Netvrfd d(R"({"docker": {"enabled": false}})", {bus.env()});
  ASSERT_TRUE(d.startReady()) << d.log();
  NetnsProcess p;
  std::string pid = std::to_string(p.pid());
  std::string foreign = uniqueNs("foreign");
  ASSERT_EQ(run({"ip", "netns", "add", foreign}).status, 0);
  // Other suites' entries come and go meanwhile: only this test's and netvrfd's are compared.
  const std::string mine = "nvt" + std::to_string(getpid());
  auto listed = [&] {
    json all = json::parse(netvrfctl(bus, {"--json", "netns", "ls"}).out), ours = json::array();
    for (const auto& e : all)
      if (e["runtime"] != "" || e["name"].get<std::string>().starts_with(mine)) ours.push_back(e);
    return ours.dump();
  };
  std::string before = listed();
  EXPECT_NE(before.find(R"({"name":")" + foreign + R"(","owner":"","pid":0,"runtime":""})"),
            std::string::npos)
      << before;

  auto out = [&](std::vector<std::string> args) { return netvrfctl(bus, args).out; };
  EXPECT_EQ(out({"netns", "add", foreign, "--pid", pid}),
            "netvrfctl: org.netvrf1.Error.NameTaken: /var/run/netns/" + foreign +
                " exists and netvrfd did not create it\n");
  EXPECT_EQ(out({"netns", "del", foreign}),
            "netvrfctl: org.netvrf1.Error.NotOwned: /var/run/netns/" + foreign +
                " was not created by netvrfd; left alone\n");
  EXPECT_EQ(out({"netns", "add", "../x", "--pid", pid}),
            "netvrfctl: org.netvrf1.Error.InvalidName: namespace name '../x': the name contains "
            "'/'\n");
  EXPECT_EQ(out({"netns", "add", "x", "--pid", std::to_string(getpid())}),
            "netvrfctl: org.netvrf1.Error.InvalidArgument: process " + std::to_string(getpid()) +
                " is in the host's namespace: nothing to register\n");
  NetnsProcess gone;
  pid_t gonePid = gone.pid();
  gone.kill();
  EXPECT_EQ(out({"netns", "add", "x", "--pid", std::to_string(gonePid)}),
            "netvrfctl: org.netvrf1.Error.NoSuchProcess: no process " + std::to_string(gonePid) +
                "\n");
  EXPECT_EQ(out({"netns", "add", "x", "--pid", "-1"}),
            "netvrfctl: netns: --pid: '-1' is not a PID (see netvrfctl netns --help)\n");
  Result raw = run({"env", bus.env(), "busctl", "--system", "call", "org.netvrf1", "/org/netvrf1",
                    "org.netvrf1.Manager", "RegisterNamespace", "su", "x", "4294967295"});
  EXPECT_NE(raw.out.find("PID 4294967295 is not valid"), std::string::npos) << raw.out;

  for (auto args : std::vector<std::vector<std::string>>{
           {"netns", "add", "x", "--pid", pid}, {"netns", "del", foreign}}) {
    Result r = asNobody(bus, args);
    EXPECT_EQ(r.status, 1);
    EXPECT_EQ(r.out.find("netvrfctl: org.freedesktop.DBus.Error.AccessDenied: "), 0u) << r.out;
  }
  EXPECT_EQ(listed(), before);
  EXPECT_TRUE(entryExists(foreign));
  run({"ip", "netns", "del", foreign});
}

TEST_F(DbusApi, ASoftFileLimitDoesNotCapTheNamespaces) {
  // One pidfd per namespace: under a service's default soft limit netvrfd would stop near a
  // thousand; here the soft limit is 64 and it must take 100.
  SystemBus bus;
  Netvrfd d(R"({"docker": {"enabled": false}, "containerd": {"enabled": false}})", {bus.env()});
  d.setWrapper({"prlimit", "--nofile=64:4096", "--"});
  ASSERT_TRUE(d.startReady()) << d.log();
  std::vector<std::unique_ptr<NetnsProcess>> processes;
  std::vector<std::string> names;
  for (int i = 0; i < 100; ++i) {
    processes.push_back(std::make_unique<NetnsProcess>());
    names.push_back(uniqueNs("fd"));
    Result r = netvrfctl(bus, {"netns", "add", names.back(), "--pid",
                               std::to_string(processes.back()->pid())});
    ASSERT_EQ(r.status, 0) << "namespace " << i << ": " << r.out;
  }
  for (const auto& n : names) EXPECT_TRUE(entryExists(n));
  processes.clear();  // they exit; their entries go
  EXPECT_TRUE(waitUntil([&] {
    return std::none_of(names.begin(), names.end(), [](const auto& n) { return entryExists(n); });
  })) << d.log();
}

TEST_F(DbusApi, VrfVerbsOnAKernelWithoutVrfSupportChangeNothing) {
  NETVRF_REQUIRE(missingVrfFreeKernel());
  SystemBus bus;
  Netvrfd d(R"({"docker": {"enabled": false}})", {bus.env()});
  ASSERT_TRUE(d.startReady()) << d.log();
  auto out = [&](std::vector<std::string> args) { return netvrfctl(bus, args).out; };
  EXPECT_EQ(out({"vrf", "add", "nvred"}),
            "netvrfctl: org.netvrf1.Error.NotSupported: VRF nvred: this kernel has no VRF support "
            "(CONFIG_NET_VRF)\n");
  Result tables = run({"cat", d.dir() + "/tables.json"});
  EXPECT_EQ(tables.out.find("nvred"), std::string::npos) << tables.out;
  EXPECT_EQ(out({"vrf", "list"}), "NAME  TABLE  OWNER  INTERFACES\n");
  EXPECT_EQ(out({"--json", "vrf", "list"}), "[]\n");
  EXPECT_EQ(out({"vrf", "del", "nvred"}), "netvrfctl: org.netvrf1.Error.NoSuchVrf: no VRF nvred\n");
  EXPECT_EQ(out({"vrf", "del", "lo"}),
            "netvrfctl: org.netvrf1.Error.InvalidArgument: lo is not a VRF (it is a device)\n");
  EXPECT_EQ(out({"vrf", "add", "nvred", "--table", "255"}),
            "netvrfctl: org.netvrf1.Error.InvalidArgument: table 255 is reserved (253 default, "
            "254 main, 255 local)\n");
  EXPECT_EQ(out({"vrf", "add", "a very long vrf name"}),
            "netvrfctl: org.netvrf1.Error.InvalidArgument: VRF 'a very long vrf name': the "
            "interface name 'a very long vrf name' is 20 bytes long (at most 15)\n");
  for (auto args : std::vector<std::vector<std::string>>{{"vrf", "add", "nvred"},
                                                         {"vrf", "del", "nvred"}}) {
    Result r = asNobody(bus, args);
    EXPECT_EQ(r.status, 1);
    EXPECT_EQ(r.out.find("netvrfctl: org.freedesktop.DBus.Error.AccessDenied: "), 0u) << r.out;
  }
}

TEST_F(DbusApi, EveryVerbHasItsHelpAndWrongArgumentsOneLine) {
  for (std::string verb : {"list", "status", "describe", "attach", "detach", "vrf", "netns",
                           "monitor"}) {
    Result r = run({netvrfctlPath(), verb, "--help"});
    EXPECT_EQ(r.status, 0) << verb;
    EXPECT_NE(r.out.find("\n  " + verb), std::string::npos) << r.out;
    EXPECT_EQ(r.out.find("Commands:"), std::string::npos) << "only " << verb << "'s: " << r.out;
  }
  SystemBus bus;  // the arguments are checked before anything is asked of netvrfd
  Result r = netvrfctl(bus, {"vrf", "frob"});
  EXPECT_EQ(r.status, 2);
  EXPECT_EQ(r.out,
            "netvrfctl: vrf: expects list, add NAME [--table N] or del NAME (see netvrfctl vrf "
            "--help)\n");
  r = netvrfctl(bus, {"attach", "web1", "--vrf", "red", "--address", "203.0.113.2/28"});
  EXPECT_EQ(r.status, 2);
  EXPECT_EQ(r.out,
            "netvrfctl: attach: --address and --gateway are for --host (see netvrfctl attach "
            "--help)\n");
}

// netvrfctl ARGS... as uid 65534 with supplementary group `gid`.
Result asNobodyInGroup(const SystemBus& bus, const std::string& gid, std::vector<std::string> args) {
  args.insert(args.begin(), {"setpriv", "--reuid", "65534", "--regid", "65534", "--groups", gid,
                             "env", bus.env(), netvrfctlPath()});
  return run(args);
}

TEST_F(DbusApi, TheConfiguredGroupMayChangeThingsOthersMayNot) {
  SystemBus bus;
  Netvrfd d(R"({"docker": {"enabled": false}, "api": {"group": "users"}})", {bus.env()});
  ASSERT_TRUE(d.startReady()) << d.log();
  NetnsProcess p;
  std::string name = uniqueNs("grp");
  Result member =
      asNobodyInGroup(bus, "100", {"netns", "add", name, "--pid", std::to_string(p.pid())});
  EXPECT_EQ(member.status, 0) << member.out << d.log();
  EXPECT_TRUE(entryExists(name));
  Result other = asNobodyInGroup(bus, "27", {"netns", "del", name});
  EXPECT_EQ(other.out,
            "netvrfctl: org.freedesktop.DBus.Error.AccessDenied: UnregisterNamespace is for root "
            "and group api.group only (caller uid 65534)\n");
  EXPECT_TRUE(entryExists(name));
  EXPECT_EQ(asNobodyInGroup(bus, "100", {"netns", "del", name}).status, 0);
  EXPECT_FALSE(entryExists(name));
}

TEST_F(DbusApi, AGroupThatDoesNotExistStopsNetvrfdAtStart) {
  Netvrfd d(R"({"docker": {"enabled": false}, "api": {"group": "no-such-group-nv"}})");
  d.start();
  EXPECT_NE(d.wait(), 0);
  EXPECT_NE(d.log().find("key 'api.group': no group no-such-group-nv"), std::string::npos)
      << d.log();
}

// Rewrites netvrfd's configuration file with `patch` merged in.
void patchConfig(const Netvrfd& d, const json& patch) {
  std::string path = d.dir() + "/netvrfd.json";
  json config = json::parse(run({"cat", path}).out);
  config.merge_patch(patch);
  std::ofstream(path) << config.dump(2);
}

TEST_F(DbusApi, ReloadAppliesWhatItCanAndKeepsTheRunningConfigurationOnErrors) {
  SystemBus bus;
  Netvrfd d(R"({"docker": {"enabled": false}})", {bus.env()});
  ASSERT_TRUE(d.startReady()) << d.log();
  NetnsProcess p;
  std::string name = uniqueNs("rel");
  std::vector<std::string> add{"netns", "add", name, "--pid", std::to_string(p.pid())};
  EXPECT_EQ(asNobodyInGroup(bus, "100", add).status, 1);

  patchConfig(d, {{"api", {{"group", "users"}}}, {"vrf", {{"table_first", 1500}}}});
  EXPECT_EQ(netvrfctl(bus, {"reload"}).out, "reloaded; takes a restart: vrf.table_first\n");
  EXPECT_EQ(netvrfctl(bus, {"--json", "reload"}).out, R"({"needs_restart":["vrf.table_first"]})"
                                                      "\n");
  Result member = asNobodyInGroup(bus, "100", add);
  EXPECT_EQ(member.status, 0) << member.out << d.log();

  patchConfig(d, {{"api", {{"group", "no-such-group-nv"}}}});
  Result bad = netvrfctl(bus, {"reload"});
  EXPECT_EQ(bad.status, 1);
  EXPECT_EQ(bad.out.find("netvrfctl: org.netvrf1.Error.InvalidConfig: "), 0u) << bad.out;
  EXPECT_NE(bad.out.find("key 'api.group': no group no-such-group-nv; the running "
                         "configuration is kept\n"),
            std::string::npos)
      << bad.out;
  // The same through the signal: the one-line reason logged, systemd told it is ready again,
  // and netvrfd keeps running with what it had.
  d.signal(SIGHUP);
  EXPECT_TRUE(d.waitNotify("RELOADING=1", 10s)) << d.log();
  EXPECT_TRUE(d.waitNotify("READY=1", 10s)) << d.log();
  EXPECT_NE(d.log().find("reload: " + d.dir() + "/netvrfd.json: key 'api.group': no group "
                         "no-such-group-nv; the running configuration is kept"),
            std::string::npos)
      << d.log();
  EXPECT_EQ(asNobodyInGroup(bus, "100", {"netns", "del", name}).status, 0);  // still users
}

class DbusApiKernel : public ::testing::Test {
 protected:
  void SetUp() override { NETVRF_REQUIRE(missingVrf()); }
};

std::string master(const std::string& ifname) {
  json l = json::parse(run({"ip", "-j", "link", "show", ifname}).out, nullptr, false);
  return l.is_array() && l.size() == 1 ? l[0].value("master", "") : "";
}

TEST_F(DbusApiKernel, VrfsOnTheHostThroughNetvrfctlAndTheirObjects) {
  SystemBus bus;
  Netvrfd d(R"({"docker": {"enabled": false}})", {bus.env()});
  ASSERT_TRUE(d.startReady()) << d.log();
  std::string path = objectPath("/org/netvrf1/vrf", "nvblue");
  auto out = [&](std::vector<std::string> args) { return netvrfctl(bus, args).out; };

  EXPECT_EQ(out({"vrf", "add", "nvblue"}), "VRF nvblue: table 1001\n") << d.log();
  json link = json::parse(run({"ip", "-j", "-d", "link", "show", "nvblue"}).out);
  EXPECT_EQ(link[0]["linkinfo"]["info_kind"], "vrf");
  EXPECT_EQ(link[0]["linkinfo"]["info_data"]["table"], 1001);
  EXPECT_EQ(out({"vrf", "add", "nvblue"}), "VRF nvblue: table 1001\n");  // twice = once
  EXPECT_EQ(property(bus, path, "org.netvrf1.Vrf", "Table"), "u 1001");
  EXPECT_EQ(property(bus, path, "org.netvrf1.Vrf", "Owned"), "b true");
  Result other = netvrfctl(bus, {"vrf", "add", "nvblue", "--table", "1500"});
  EXPECT_EQ(other.out.find("netvrfctl: org.netvrf1.Error.TableInUse: "), 0u) << other.out;

  ASSERT_EQ(run({"ip", "link", "add", "nvdum0", "type", "dummy"}).status, 0);
  ASSERT_EQ(run({"ip", "link", "set", "nvdum0", "master", "nvblue"}).status, 0);
  EXPECT_EQ(out({"vrf", "del", "nvblue"}),
            "netvrfctl: org.netvrf1.Error.VrfInUse: VRF nvblue still has interfaces (nvdum0); "
            "detach them first\n");
  EXPECT_EQ(master("nvdum0"), "nvblue");
  EXPECT_EQ(out({"--json", "vrf", "list"}),
            R"([{"interfaces":["nvdum0"],"name":"nvblue","owned":true,"table":1001}])"
            "\n");
  EXPECT_EQ(out({"vrf", "list"}),
            "NAME    TABLE  OWNER   INTERFACES\n"
            "nvblue  1001   netvrf  nvdum0\n");
  EXPECT_EQ(property(bus, path, "org.netvrf1.Vrf", "Interfaces"), "as 1 \"nvdum0\"");

  run({"ip", "link", "del", "nvdum0"});
  EXPECT_EQ(out({"vrf", "del", "nvblue"}), "VRF nvblue: deleted\n");
  EXPECT_NE(run({"ip", "link", "show", "nvblue"}).status, 0);
  EXPECT_FALSE(objectExists(bus, path));
  EXPECT_EQ(out({"vrf", "del", "nvblue"}), "netvrfctl: org.netvrf1.Error.NoSuchVrf: no VRF nvblue\n");
}

TEST_F(DbusApiKernel, APlainNamespaceGetsALegIntoAHostVrfAndLosesIt) {
  SystemBus bus;
  Netvrfd d(R"({"docker": {"enabled": false}})", {bus.env()});
  ASSERT_TRUE(d.startReady()) << d.log();
  NetnsProcess p;
  std::string name = uniqueNs("leg");
  ASSERT_EQ(netvrfctl(bus, {"netns", "add", name, "--pid", std::to_string(p.pid())}).status, 0);
  Result attached =
      netvrfctl(bus, {"--json", "attach", name, "--vrf", "nvgreen", "--host", "--address",
                      "203.0.113.2/28", "--gateway", "203.0.113.1"});
  ASSERT_EQ(attached.status, 0) << attached.out << d.log();
  json a = json::parse(attached.out);
  EXPECT_EQ(a["table"], 1001);
  ASSERT_EQ(a["interfaces"].size(), 1u);
  std::string hostEnd = a["interfaces"][0];
  EXPECT_EQ(master(hostEnd), "nvgreen");
  EXPECT_EQ(run({"ip", "netns", "exec", name, "busybox", "ping", "-c1", "-W2", "203.0.113.1"})
                .status,
            0);
  EXPECT_EQ(property(bus, containerPath(name), "org.netvrf1.Container", "HostVrf"),
            "s \"nvgreen\"");

  EXPECT_EQ(netvrfctl(bus, {"detach", name, "--vrf", "nvgreen"}).out,
            name + ": detached from nvgreen\n");
  EXPECT_TRUE(waitUntil([&] { return run({"ip", "link", "show", hostEnd}).status != 0; }));
  // netvrfd made VRF nvgreen for the leg; with the leg gone, so is it.
  EXPECT_TRUE(waitUntil([&] { return run({"ip", "link", "show", "nvgreen"}).status != 0; }));
  EXPECT_EQ(property(bus, containerPath(name), "org.netvrf1.Container", "HostVrf"), "s \"\"");
}

}  // namespace
}  // namespace netvrf::test
