// Hostile names and values over D-Bus and through netvrfctl: each is refused with its own error
// name and one short line, nothing changes, and netvrfd answers the next call. And every method
// that changes something is refused to a caller that is neither root nor in api.group; that list
// comes from the interface XML, so a new method cannot be forgotten here.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sdbus-c++/sdbus-c++.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>
#include <variant>

#include "dbus/object_path.hpp"
#include "harness.hpp"
#include "netns/name.hpp"

namespace netvrf::test {
namespace {

using nlohmann::json;
using namespace std::string_literals;

constexpr const char* kManager = "org.netvrf1.Manager";
constexpr const char* kInvalidArgument = "org.netvrf1.Error.InvalidArgument";
constexpr const char* kInvalidName = "org.netvrf1.Error.InvalidName";
constexpr const char* kNoSuchContainer = "org.netvrf1.Error.NoSuchContainer";
constexpr const char* kNoSuchNetwork = "org.netvrf1.Error.NoSuchNetwork";
constexpr const char* kInvalidArgs = "org.freedesktop.DBus.Error.InvalidArgs";
constexpr const char* kAccessDenied = "org.freedesktop.DBus.Error.AccessDenied";

// Other suites run containers on the test services meanwhile: this netvrfd follows none of them.
constexpr const char* kAlone =
    R"({"docker": {"enabled": false, "endpoints": []}, "containerd": {"enabled": false}})";

// A reply's message must be one line a terminal shows as it is, and short whatever was sent.
constexpr size_t kLongestMessage = 512;

bool isOneLine(const std::string& text) {
  return std::none_of(text.begin(), text.end(),
                      [](unsigned char c) { return c < 0x20 || c == 0x7f; });
}

std::string uniqueNs(const std::string& stem) {
  static int counter = 0;
  return "nvt" + std::to_string(getpid()) + stem + std::to_string(++counter);
}

using Options = std::map<std::string, sdbus::Variant>;
using Strings = std::vector<std::string>;
using Arg = std::variant<std::string, uint32_t, int32_t, Options, Strings, sdbus::UnixFd>;

struct Answer {
  std::string error;  // empty: a reply
  std::string message;
};

// Calls straight through sdbus-c++ as root: any argument the bus can carry, as it is.
class Api {
 public:
  explicit Api(const SystemBus& bus)
      : connection_(sdbus::createSessionBusConnectionWithAddress(
            bus.env().substr(bus.env().find('=') + 1))),
        proxy_(sdbus::createProxy(*connection_, "org.netvrf1", "/org/netvrf1")) {}

  sdbus::MethodCall message(const std::string& method, const std::string& iface = kManager) {
    return proxy_->createMethodCall(iface, method);
  }

  Answer call(const std::string& method, const std::vector<Arg>& args) {
    auto m = message(method);
    for (const auto& a : args) std::visit([&](const auto& v) { m << v; }, a);
    return send(m);
  }

  Answer send(sdbus::MethodCall& m) {
    try {
      proxy_->callMethod(m);
      return {};
    } catch (const sdbus::Error& e) {
      return {e.getName(), e.getMessage()};
    }
  }

  template <typename T>
  T get(const std::string& method, const std::string& iface = kManager) {
    auto m = message(method, iface);
    auto reply = proxy_->callMethod(m);
    T out;
    reply >> out;
    return out;
  }

 private:
  std::unique_ptr<sdbus::IConnection> connection_;
  std::unique_ptr<sdbus::IProxy> proxy_;
};

// What a refused call must leave as it was. Only what this netvrfd could change: the other
// suites' containers, links and entries come and go meanwhile.
struct Snapshot {
  std::string bus;    // ListVrfs, ListContainers, Describe, this netvrfd's entries
  std::string links;  // VRFs, their members, and links named as netvrfd names its own (nv...)
  std::string files;  // its tables and state, and whatever the cases' names point at
};

std::string fileText(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

class Watch {
 public:
  Watch(const Netvrfd& d, Api& api) : d_(d), api_(api) {}

  // Names a case may make netvrfd create or remove, under /var/run/netns or beside it ("../x").
  void watchName(const std::string& name) {
    if (name.size() < 1024) paths_.insert(netnsPath(name));
  }

  Snapshot take() {
    Snapshot s;
    for (const auto& v :
         api_.get<std::vector<sdbus::Struct<std::string, uint32_t, Strings, bool>>>("ListVrfs"))
      s.bus += "vrf " + v.get<0>() + " " + std::to_string(v.get<1>()) + "\n";
    for (const auto& c :
         api_.get<std::vector<sdbus::Struct<std::string, std::string, std::string, std::string,
                                            uint32_t, std::string, std::string, std::string>>>(
             "ListContainers"))
      s.bus += "container " + c.get<1>() + " " + c.get<3>() + " " + c.get<5>() + "\n";
    for (const auto& n :
         api_.get<std::vector<sdbus::Struct<std::string, std::string, std::string, uint32_t>>>(
             "ListNamespaces"))
      if (!n.get<1>().empty()) s.bus += "entry " + n.get<0>() + "\n";
    s.bus += api_.get<std::string>("Describe") + "\n";

    json links = json::parse(run({"ip", "-j", "-d", "link", "show"}).out);
    std::set<std::string> vrfs;
    for (const auto& l : links)
      if (l.contains("linkinfo") && l["linkinfo"].value("info_kind", "") == "vrf")
        vrfs.insert(l["ifname"].get<std::string>());
    for (const auto& l : links) {
      std::string name = l["ifname"], master = l.value("master", "");
      if (vrfs.count(name) || vrfs.count(master) || name.starts_with("nv"))
        s.links += name + " " + master + "\n";
    }

    // The table files, as their content: none is the same as an empty one.
    json tables = json::parse(fileText(d_.dir() + "/tables.json"), nullptr, false);
    s.files = (tables.is_object() ? tables : json::object()).dump() + "\n";
    std::istringstream rtTables(fileText(d_.dir() + "/rt_tables.conf"));
    for (std::string line; std::getline(rtTables, line);)
      if (!line.starts_with("#")) s.files += line + "\n";
    std::error_code ec;
    for (auto it = std::filesystem::recursive_directory_iterator(d_.stateDir(), ec);
         !ec && it != std::filesystem::recursive_directory_iterator(); it.increment(ec))
      s.files += it->path().string() + " " + fileText(it->path().string()) + "\n";
    for (const auto& p : paths_) {
      auto type = std::filesystem::symlink_status(p, ec).type();
      s.files += p + " " + std::to_string(int(type)) + "\n";
    }
    return s;
  }

  // netvrfd still runs and answers.
  bool alive() {
    std::string stat = fileText("/proc/" + std::to_string(d_.pid()) + "/stat");
    auto state = stat.find(") ");
    if (state == std::string::npos || stat[state + 2] == 'Z') return false;
    return api_.call("ListVrfs", {}).error.empty();
  }

  // Asserts that nothing changed since `before` and that netvrfd answers.
  void expectUnchanged(const Snapshot& before) {
    ASSERT_TRUE(alive()) << d_.log();
    Snapshot after = take();
    EXPECT_EQ(before.bus, after.bus);
    EXPECT_EQ(before.links, after.links);
    EXPECT_EQ(before.files, after.files);
  }

 private:
  const Netvrfd& d_;
  Api& api_;
  std::set<std::string> paths_;
};

// A short label for a case: names can be a megabyte long or hold control characters.
std::string label(const std::string& method, const std::vector<Arg>& args) {
  std::string out = method + "(";
  for (const auto& a : args) {
    if (out.back() != '(') out += ", ";
    if (auto s = std::get_if<std::string>(&a))
      out += "\"" + printableName(*s) + "\"";
    else if (auto u = std::get_if<uint32_t>(&a))
      out += std::to_string(*u);
    else if (auto i = std::get_if<int32_t>(&a))
      out += "int32 " + std::to_string(*i);
    else if (auto o = std::get_if<Options>(&a))
      out += "{" + std::to_string(o->size()) + " options}";
    else if (std::get_if<sdbus::UnixFd>(&a))
      out += "fd";
    else
      out += "[" + std::to_string(std::get<Strings>(a).size()) + " strings]";
  }
  return out + ")";
}

// A process in a namespace of its own, registered as `name`: a real target for the calls.
struct Registered {
  NetnsProcess process;
  std::string name = uniqueNs("h");
};

class Hostile : public ::testing::Test {
 protected:
  void SetUp() override { NETVRF_REQUIRE(missingRoot()); }
};

// Names as callers may send them, and why each is no interface (VRF) name and no namespace name.
struct HostileName {
  std::string name;
  std::string shown;    // how error messages must quote it: one line, at most 64 bytes + "..."
  std::string asVrf;    // why it is no VRF name
  std::string asNetns;  // why it is no namespace name; empty: it is a good one
};

std::vector<HostileName> hostileNames() {
  const std::string badChar =
      "the interface name contains '/', ':', a space or a control character";
  const std::string sixteen = "nvabcdefghijklmn";  // IFNAMSIZ: 15 bytes at most
  const std::string cut = std::string(64, 'a') + "...";
  auto tooLong = [&](size_t n) {
    return "the interface name '" + cut + "' is " + std::to_string(n) + " bytes long (at most 15)";
  };
  return {
      {"", "", "the interface name is empty", "the name is empty"},
      {"/", "/", badChar, "the name contains '/'"},
      {"../x", "../x", badChar, "the name contains '/'"},
      {"a/b", "a/b", badChar, "the name contains '/'"},
      {"../../../../etc", "../../../../etc", badChar, "the name contains '/'"},
      {".", ".", "the interface name '.' is reserved", "the name '.' is reserved"},
      {"..", "..", "the interface name '..' is reserved", "the name '..' is reserved"},
      {sixteen, sixteen, "the interface name '" + sixteen + "' is 16 bytes long (at most 15)", ""},
      {std::string(256, 'a'), cut, tooLong(256), "the name is 256 bytes long (at most 255)"},
      {std::string(1 << 20, 'a'), cut, tooLong(1 << 20),
       "the name is 1048576 bytes long (at most 255)"},
      {"a\nb", "a\\nb", badChar, "the name contains a control character"},
      {"a\tb", "a\\tb", badChar, "the name contains a control character"},
      {"\x01", "\\x01", badChar, "the name contains a control character"},
      {"a\x7f", "a\\x7f", badChar, "the name contains a control character"},
      {"\n\nforged line", "\\n\\nforged line", badChar, "the name contains a control character"},
      {"a b", "a b", badChar, ""},
      {"a:b", "a:b", badChar, ""},
  };
}

struct BusCase {
  std::string method;
  std::vector<Arg> args;
  std::string error;    // the error name expected
  std::string message;  // a part of the message expected
};

// A thread of `pid` that is not its leader, or 0.
pid_t aThreadOf(pid_t pid) {
  for (const auto& t :
       std::filesystem::directory_iterator("/proc/" + std::to_string(pid) + "/task"))
    if (std::stoi(t.path().filename()) != pid) return std::stoi(t.path().filename());
  return 0;
}

TEST_F(Hostile, NamesAndValuesOverTheBusAreRefusedOneByOne) {
  SystemBus bus;
  Netvrfd d(kAlone, {bus.env()});
  ASSERT_TRUE(d.startReady()) << d.log();
  Api api(bus);
  Registered reg;
  ASSERT_EQ(api.call("RegisterNamespace", {reg.name, uint32_t(reg.process.pid())}).error, "");
  NetnsProcess other;
  pid_t gone;
  {
    NetnsProcess p;
    gone = p.pid();
  }
  pid_t thread = aThreadOf(d.pid());
  ASSERT_NE(thread, 0) << "netvrfd runs its attach worker in a thread";
  const std::string fresh = uniqueNs("f");
  const std::string vrf = "nvred", network = "nvnonet";

  std::vector<BusCase> cases;
  for (const auto& n : hostileNames()) {
    std::string asVrf = "VRF '" + n.shown + "': " + n.asVrf;
    cases.push_back({"CreateVrf", {n.name, 0u}, kInvalidArgument, asVrf});
    cases.push_back({"CreateVrf", {n.name, 1500u}, kInvalidArgument, asVrf});
    cases.push_back({"DeleteVrf", {n.name}, kInvalidArgument, asVrf});
    cases.push_back({"AttachContainer", {reg.name, n.name, Options{}}, kInvalidArgument, asVrf});
    if (!n.name.empty())  // no VRF: every VRF, a valid request
      cases.push_back({"DetachContainer", {reg.name, n.name}, kInvalidArgument, asVrf});
    cases.push_back({"AttachNetwork", {network, n.name, Options{}}, kInvalidArgument, asVrf});
    cases.push_back(
        {"AttachContainer", {n.name, vrf, Options{}}, kNoSuchContainer, "no container " + n.shown});
    cases.push_back(
        {"DetachContainer", {n.name, ""s}, kNoSuchContainer, "no container " + n.shown});
    cases.push_back({"AttachNetwork",
                     {n.name, vrf, Options{}},
                     kNoSuchNetwork,
                     "no network " + n.shown});
    cases.push_back({"DetachNetwork", {n.name}, kNoSuchNetwork, "no network " + n.shown});
    if (!n.asNetns.empty()) {
      std::string asNetns = "namespace name '" + n.shown + "': " + n.asNetns;
      cases.push_back(
          {"RegisterNamespace", {n.name, uint32_t(other.pid())}, kInvalidName, asNetns});
      cases.push_back({"UnregisterNamespace", {n.name}, kInvalidName, asNetns});
    }
  }
  // AttachSandbox, the CNI plugin's: a network namespace that is not the host's, a CNI id.
  auto fdOf = [](const std::string& path) {
    return sdbus::UnixFd(open(path.c_str(), O_RDONLY | O_CLOEXEC), sdbus::adopt_fd);
  };
  const std::string regPath = netnsPath(reg.name);
  for (const auto& n : hostileNames())
    cases.push_back({"AttachSandbox",
                     {"nvsb1"s, fdOf(regPath), n.name, Options{}},
                     kInvalidArgument,
                     "VRF '" + n.shown + "': " + n.asVrf});
  std::vector<BusCase> sandboxes = {
      {"AttachSandbox",
       {"bad id"s, fdOf(regPath), vrf, Options{}},
       kInvalidArgument,
       "sandbox id 'bad id' is not a CNI container id"},
      {"AttachSandbox",
       {"nvsb1"s, fdOf("/dev/null"), vrf, Options{}},
       kInvalidArgument,
       "the namespace given for sandbox nvsb1 is not usable: it is not a namespace"},
      {"AttachSandbox",
       {"nvsb1"s, fdOf("/proc/self/ns/uts"), vrf, Options{}},
       kInvalidArgument,
       "is not usable: it is not a network namespace"},
      {"AttachSandbox",
       {"nvsb1"s, fdOf("/proc/self/ns/net"), vrf, Options{}},
       kInvalidArgument,
       "sandbox nvsb1 is in the host's namespace"},
      {"AttachSandbox",
       {"nvsb1"s, fdOf(regPath), vrf, Options{{"temporary", sdbus::Variant(true)}}},
       kInvalidArgument,
       "option 'temporary' does not apply"},
      {"AttachSandbox",
       {"nvsb1"s, fdOf(regPath), vrf, Options{{"name", sdbus::Variant(7u)}}},
       kInvalidArgument,
       "option 'name' is not a string"},
      {"ReleaseSandbox", {"nvsb1"s, "bad vrf"s}, kInvalidArgument, "VRF 'bad vrf'"},
  };
  cases.insert(cases.end(), sandboxes.begin(), sandboxes.end());
  auto host = [](Options o) {
    o["host"] = sdbus::Variant(true);
    return o;
  };
  Strings manyIfs, manyAddrs;
  for (int i = 0; i < 10000; ++i) {
    manyIfs.push_back("nvif" + std::to_string(i));
    manyAddrs.push_back("10." + std::to_string(i / 256) + "." + std::to_string(i % 256) + ".2/32");
  }
  manyIfs.push_back("bad/if");
  manyAddrs.push_back("bogus");
  const std::string reserved = " is reserved (253 default, 254 main, 255 local)";
  const std::string wrongType = "option 'table' has the wrong type";
  const std::string noAddress = " is not an address with a prefix length (203.0.113.10/24)";
  std::vector<BusCase> values = {
      // Tables: 0 is "one from the range" for CreateVrf, but not a table an attach may ask for.
      {"CreateVrf", {"nvhostile"s, 253u}, kInvalidArgument, "table 253" + reserved},
      {"CreateVrf", {"nvhostile"s, 254u}, kInvalidArgument, "table 254" + reserved},
      {"CreateVrf", {"nvhostile"s, 255u}, kInvalidArgument, "table 255" + reserved},
      {"AttachContainer",
       {reg.name, vrf, Options{{"table", sdbus::Variant(0u)}}},
       kInvalidArgument,
       "table 0 is not a table"},
      {"AttachContainer",
       {reg.name, vrf, Options{{"table", sdbus::Variant(254u)}}},
       kInvalidArgument,
       "table 254" + reserved},
      {"AttachNetwork",
       {network, vrf, Options{{"table", sdbus::Variant(255u)}}},
       kInvalidArgument,
       "table 255" + reserved},
      {"AttachNetwork",
       {network, vrf, Options{{"table", sdbus::Variant(0u)}}},
       kInvalidArgument,
       "table 0 is not a table"},
      // 2^32 does not fit the "u" of a table: only an option can carry it, as another type.
      {"AttachContainer",
       {reg.name, vrf, Options{{"table", sdbus::Variant(uint64_t(1) << 32)}}},
       kInvalidArgument,
       wrongType},
      {"AttachContainer",
       {reg.name, vrf, Options{{"table", sdbus::Variant(int32_t(-1))}}},
       kInvalidArgument,
       wrongType},
      {"AttachContainer",
       {reg.name, vrf, Options{{"table", sdbus::Variant("1001"s)}}},
       kInvalidArgument,
       wrongType},
      {"AttachNetwork",
       {network, vrf, Options{{"table", sdbus::Variant(uint64_t(1) << 32)}}},
       kInvalidArgument,
       wrongType},
      // Options.
      {"AttachContainer",
       {reg.name, vrf, Options{{"bogus", sdbus::Variant(true)}}},
       kInvalidArgument,
       "unknown option 'bogus'"},
      {"AttachContainer",
       {reg.name, vrf, Options{{"a\nb", sdbus::Variant(true)}}},
       kInvalidArgument,
       "unknown option 'a\\nb'"},
      {"AttachContainer",
       {reg.name, vrf, Options{{"strict", sdbus::Variant("yes"s)}}},
       kInvalidArgument,
       "option 'strict' has the wrong type"},
      {"AttachContainer",
       {reg.name, vrf, Options{{"interfaces", sdbus::Variant(Strings{"eth0", "a\nb"})}}},
       kInvalidArgument,
       "'a\\nb': the interface name contains"},
      {"AttachContainer",
       {reg.name, vrf, Options{{"interfaces", sdbus::Variant(manyIfs)}}},
       kInvalidArgument,
       "'bad/if': the interface name contains"},
      {"AttachContainer",
       {reg.name, vrf, Options{{"addresses", sdbus::Variant(Strings{"10.0.0.2/24"})}}},
       kInvalidArgument,
       "option 'addresses' needs host true"},
      {"AttachContainer",
       {reg.name, vrf, host({})},
       kInvalidArgument,
       "a host leg needs 'addresses'"},
      {"AttachContainer",
       {reg.name, vrf,
        host({{"addresses", sdbus::Variant(Strings{"10.0.0.2/24"})},
              {"interfaces", sdbus::Variant(Strings{"eth0"})}})},
       kInvalidArgument,
       "option 'interfaces' needs host false"},
      {"AttachContainer",
       {reg.name, vrf, host({{"addresses", sdbus::Variant(Strings{"bogus"})}})},
       kInvalidArgument,
       "'bogus'" + noAddress},
      {"AttachContainer",
       {reg.name, vrf, host({{"addresses", sdbus::Variant(Strings{"10.0.0.2"})}})},
       kInvalidArgument,
       "'10.0.0.2'" + noAddress},
      {"AttachContainer",
       {reg.name, vrf, host({{"addresses", sdbus::Variant(Strings{"10.0.0.2/24\n"})}})},
       kInvalidArgument,
       "'10.0.0.2/24\\n'" + noAddress},
      {"AttachContainer",
       {reg.name, vrf, host({{"addresses", sdbus::Variant(Strings{std::string(1 << 20, '1')})}})},
       kInvalidArgument,
       "'" + std::string(64, '1') + "...'" + noAddress},
      // What nl_addr_parse() alone would take, unlike ip: a blank, a prefix in octal or hex.
      {"AttachContainer",
       {reg.name, vrf, host({{"addresses", sdbus::Variant(Strings{"10.0.0.2/24 "})}})},
       kInvalidArgument,
       "'10.0.0.2/24 '" + noAddress},
      {"AttachContainer",
       {reg.name, vrf, host({{"addresses", sdbus::Variant(Strings{"10.0.0.2/024"})}})},
       kInvalidArgument,
       "'10.0.0.2/024'" + noAddress},
      {"AttachContainer",
       {reg.name, vrf, host({{"addresses", sdbus::Variant(Strings{"10.0.0.2/0x18"})}})},
       kInvalidArgument,
       "'10.0.0.2/0x18'" + noAddress},
      {"AttachContainer",
       {reg.name, vrf, host({{"addresses", sdbus::Variant(Strings{"10.0.0.2/33"})}})},
       kInvalidArgument,
       "'10.0.0.2/33'" + noAddress},
      {"AttachContainer",
       {reg.name, vrf, host({{"addresses", sdbus::Variant(Strings{"default/0"})}})},
       kInvalidArgument,
       "'default/0'" + noAddress},
      {"AttachContainer",
       {reg.name, vrf, host({{"addresses", sdbus::Variant(Strings{"2001:db8::2/129"})}})},
       kInvalidArgument,
       "'2001:db8::2/129'" + noAddress},
      {"AttachContainer",
       {reg.name, vrf,
        host({{"addresses", sdbus::Variant(Strings{"10.0.0.2/24"})},
              {"gateways", sdbus::Variant(Strings{"10.0.0.1/24"})}})},
       kInvalidArgument,
       "'10.0.0.1/24' is not an IP address"},
      {"AttachContainer",
       {reg.name, vrf,
        host({{"addresses", sdbus::Variant(Strings{"10.0.0.2/24"})},
              {"gateways", sdbus::Variant(Strings{"10.9.9.9"})}})},
       kInvalidArgument,
       "gateway 10.9.9.9 is in the prefix of none of the addresses given"},
      {"AttachContainer",
       {reg.name, vrf, host({{"addresses", sdbus::Variant(manyAddrs)}})},
       kInvalidArgument,
       "'bogus'" + noAddress},
      {"AttachNetwork",
       {network, vrf, Options{{"strict", sdbus::Variant(true)}}},
       kInvalidArgument,
       "a network takes only the option 'table'"},
      // PIDs: -1 arrives as 4294967295; PID 1 and our own are in the host's namespace (or, in a
      // sandbox, one netvrfd may not open); a thread is not a process.
      {"RegisterNamespace", {fresh, 0u}, kInvalidArgument, "PID 0 is not valid"},
      {"RegisterNamespace", {fresh, 4294967295u}, kInvalidArgument, "PID 4294967295 is not valid"},
      {"RegisterNamespace", {fresh, 2147483648u}, kInvalidArgument, "PID 2147483648 is not valid"},
      {"RegisterNamespace",
       {fresh, uint32_t(gone)},
       "org.netvrf1.Error.NoSuchProcess",
       "no process " + std::to_string(gone)},
      {"RegisterNamespace",
       {fresh, uint32_t(getpid())},
       kInvalidArgument,
       "process " + std::to_string(getpid()) + " is in the host's namespace"},
      {"RegisterNamespace",
       {fresh, uint32_t(d.pid())},
       kInvalidArgument,
       "process " + std::to_string(d.pid()) + " is in the host's namespace"},
      {"RegisterNamespace", {fresh, 1u}, kInvalidArgument, "process 1"},
      {"RegisterNamespace",
       {fresh, uint32_t(thread)},
       kInvalidArgument,
       "PID " + std::to_string(thread) + " is a thread, not a process"},
      {"RegisterNamespace",
       {reg.name, uint32_t(other.pid())},
       "org.netvrf1.Error.NameTaken",
       "namespace " + reg.name + " is already registered"},
      {"UnregisterNamespace",
       {fresh},
       "org.netvrf1.Error.NoSuchNamespace",
       "no namespace " + fresh},
      {"DeleteVrf", {"nvnosuch"s}, "org.netvrf1.Error.NoSuchVrf", "no VRF nvnosuch"},
      {"DeleteVrf", {"lo"s}, kInvalidArgument, "lo is not a VRF (it is a device)"},
      // Wrong signatures: sd-bus refuses them before netvrfd's code runs.
      {"CreateVrf", {"nvhostile"s}, kInvalidArgs, "expecting 'su'"},
      {"CreateVrf", {1500u, "nvhostile"s}, kInvalidArgs, "expecting 'su'"},
      {"RegisterNamespace", {fresh, int32_t(-1)}, kInvalidArgs, "expecting 'su'"},
      {"AttachContainer", {reg.name, vrf, Strings{"table"}}, kInvalidArgs, "expecting 'ssa{sv}'"},
      {"Describe", {"x"s}, kInvalidArgs, "expecting ''"},
      {"Reload", {"x"s}, kInvalidArgs, "expecting ''"},
      {"Frobnicate", {}, "org.freedesktop.DBus.Error.UnknownMethod", "Frobnicate"},
  };
  cases.insert(cases.end(), values.begin(), values.end());

  Watch watch(d, api);
  for (const auto& n : hostileNames()) watch.watchName(n.name);
  watch.watchName(fresh);
  Snapshot before = watch.take();
  for (const auto& c : cases) {
    SCOPED_TRACE(label(c.method, c.args));
    Answer a = api.call(c.method, c.args);
    EXPECT_EQ(a.error, c.error) << a.message;
    EXPECT_NE(a.message.find(c.message), std::string::npos) << a.message;
    EXPECT_TRUE(isOneLine(a.message)) << a.message;
    EXPECT_LE(a.message.size(), kLongestMessage) << a.message.substr(0, 200);
    watch.expectUnchanged(before);
    if (HasFatalFailure()) return;
  }
  std::cout << cases.size() << " calls\n";

  // Good requests this kernel cannot carry out: they fail, and the tables handed out for them
  // go back (the attach itself is recorded as failed, so only the files are compared).
  if (!kernelHasVrf()) {
    for (const auto& options :
         {Options{}, host({{"addresses", sdbus::Variant(Strings{"10.0.0.2/24"})}})}) {
      Answer a = api.call("AttachContainer", {reg.name, vrf, options});
      EXPECT_EQ(a.error, "org.netvrf1.Error.NotSupported") << a.message;
      ASSERT_TRUE(watch.alive()) << d.log();
      EXPECT_EQ(watch.take().files, before.files);
    }
  }
}

// Non-UTF-8 cannot travel as a D-Bus string: sd-bus (netvrfctl's and busctl's) refuses to build
// such a message, and dbus-daemon drops a client that would send one anyway. What can be tested:
// nothing leaves the caller, and netvrfd carries on.
TEST_F(Hostile, NonUtf8CannotBeSentOverTheBus) {
  SystemBus bus;
  Netvrfd d(kAlone, {bus.env()});
  ASSERT_TRUE(d.startReady()) << d.log();
  Api api(bus);
  Watch watch(d, api);
  Snapshot before = watch.take();
  auto m = api.message("CreateVrf");
  EXPECT_THROW(m << std::string("\xff\xfe"), sdbus::Error);
  Result busctl = run({"env", bus.env(), "busctl", "--system", "call", "org.netvrf1",
                       "/org/netvrf1", kManager, "CreateVrf", "su", "\xff\xfe", "0"});
  EXPECT_NE(busctl.status, 0);
  EXPECT_NE(busctl.out.find("Invalid argument"), std::string::npos) << busctl.out;
  watch.expectUnchanged(before);
}

// A command line, and what netvrfctl must answer: the exit status and a part of its one line.
struct CliCase {
  std::vector<std::string> args;
  int status;
  std::string message;
};

TEST_F(Hostile, NamesAndValuesThroughNetvrfctlAreRefusedOneByOne) {
  SystemBus bus;
  Netvrfd d(kAlone, {bus.env()});
  ASSERT_TRUE(d.startReady()) << d.log();
  Api api(bus);
  Registered reg;
  ASSERT_EQ(api.call("RegisterNamespace", {reg.name, uint32_t(reg.process.pid())}).error, "");
  NetnsProcess other;
  const std::string pid = std::to_string(other.pid()), fresh = uniqueNs("c");
  const std::string invalid = "netvrfctl: org.netvrf1.Error.InvalidArgument: ";
  const std::string invalidName = "netvrfctl: org.netvrf1.Error.InvalidName: ";
  const std::string badChar =
      "the interface name contains '/', ':', a space or a control character";
  const std::string reserved = " is reserved (253 default, 254 main, 255 local)";
  auto notTable = [](const std::string& t) {
    return "netvrfctl: vrf: --table: '" + t + "' is not a table number (see netvrfctl vrf --help)";
  };
  auto notPid = [](const std::string& p) {
    return "netvrfctl: netns: --pid: '" + p + "' is not a PID (see netvrfctl netns --help)";
  };
  std::vector<std::string> manyIfs{"attach", reg.name, "--vrf", "nvred"};
  std::vector<std::string> manyAddrs{"attach", reg.name, "--vrf", "nvred", "--host"};
  for (int i = 0; i < 10000; ++i) {
    manyIfs.insert(manyIfs.end(), {"--interface", "nvif" + std::to_string(i)});
    manyAddrs.insert(manyAddrs.end(), {"--address", "10.0." + std::to_string(i % 256) + ".2/32"});
  }
  manyIfs.insert(manyIfs.end(), {"--interface", "bad/if"});
  manyAddrs.insert(manyAddrs.end(), {"--address", "bogus"});
  std::vector<std::string> manyWords{"vrf", "add", "nvhostile"};
  manyWords.insert(manyWords.end(), 10000, "x");
  // Words are sent as D-Bus strings: netvrfctl refuses what is not UTF-8 itself, by position.
  auto noUtf8 = [](const std::string& verb, int n) {
    return "netvrfctl: " + verb + ": argument " + std::to_string(n) +
           " is not valid UTF-8 (see netvrfctl " + verb + " --help)";
  };

  std::vector<CliCase> cases = {
      {{"vrf", "add", ""}, 1, invalid + "VRF '': the interface name is empty"},
      {{"vrf", "add", "/"}, 1, invalid + "VRF '/': " + badChar},
      {{"vrf", "add", "../x"}, 1, invalid + "VRF '../x': " + badChar},
      {{"vrf", "add", "."}, 1, invalid + "VRF '.': the interface name '.' is reserved"},
      {{"vrf", "add", "nvabcdefghijklmn"}, 1, "is 16 bytes long (at most 15)"},
      {{"vrf", "add", std::string(4096, 'a')}, 1, "is 4096 bytes long (at most 15)"},
      {{"vrf", "add", "a\nb"}, 1, invalid + "VRF 'a\\nb': " + badChar},
      {{"vrf", "add", "\x1b[2J"}, 1, invalid + "VRF '\\x1b[2J': " + badChar},
      {{"vrf", "add", "a b"}, 1, invalid + "VRF 'a b': " + badChar},
      {{"vrf", "del", "a/b"}, 1, invalid + "VRF 'a/b': " + badChar},
      {{"vrf", "del", "a\tb"}, 1, invalid + "VRF 'a\\tb': " + badChar},
      {{"vrf", "add", "nvhostile", "--table", "253"}, 1, invalid + "table 253" + reserved},
      {{"vrf", "add", "nvhostile", "--table", "254"}, 1, invalid + "table 254" + reserved},
      {{"vrf", "add", "nvhostile", "--table", "255"}, 1, invalid + "table 255" + reserved},
      {{"vrf", "add", "nvhostile", "--table", "4294967296"}, 2, notTable("4294967296")},
      {{"vrf", "add", "nvhostile", "--table", "99999999999999999999999"},
       2,
       notTable("99999999999999999999999")},
      {{"vrf", "add", "nvhostile", "--table", "-1"}, 2, notTable("-1")},
      {{"vrf", "add", "nvhostile", "--table", "1e3"}, 2, notTable("1e3")},
      {{"vrf", "add", "nvhostile", "--table", "0x10"}, 2, notTable("0x10")},
      {{"vrf", "add", "nvhostile", "--table", ""}, 2, notTable("")},
      {{"vrf", "add", "nvhostile", "--table", "0"}, 2, notTable("0")},
      {{"vrf", "add", "nvhostile", "--table", " 1500"}, 2, notTable(" 1500")},
      {{"vrf", "add", "nvhostile", "--table", "+1500"}, 2, notTable("+1500")},
      {{"vrf", "add", "nvhostile", "--table", " -18446744073709550116"},
       2,
       notTable(" -18446744073709550116")},  // strtoull would make it table 1500
      {{"vrf", "add", "nvhostile", "--table", "1\n2"}, 2, notTable("1\\n2")},
      {{"netns", "add", "", "--pid", pid}, 1, invalidName + "namespace name '': the name is empty"},
      {{"netns", "add", "../x", "--pid", pid},
       1,
       invalidName + "namespace name '../x': the name contains '/'"},
      {{"netns", "add", "..", "--pid", pid},
       1,
       invalidName + "namespace name '..': the name '..' is reserved"},
      {{"netns", "add", "a\nb", "--pid", pid},
       1,
       invalidName + "namespace name 'a\\nb': the name contains a control character"},
      {{"netns", "add", std::string(300, 'a'), "--pid", pid},
       1,
       "': the name is 300 bytes long (at most 255)"},
      {{"netns", "add", fresh, "--pid", "0"}, 2, notPid("0")},
      {{"netns", "add", fresh, "--pid", "-1"}, 2, notPid("-1")},
      {{"netns", "add", fresh, "--pid", "4294967296"}, 2, notPid("4294967296")},
      {{"netns", "add", fresh, "--pid", "1e3"}, 2, notPid("1e3")},
      {{"netns", "add", fresh, "--pid", "0x10"}, 2, notPid("0x10")},
      {{"netns", "add", fresh, "--pid", ""}, 2, notPid("")},
      {{"netns", "add", fresh, "--pid", "4294967295"}, 1, invalid + "PID 4294967295 is not valid"},
      {{"netns", "add", fresh, "--pid", "1"}, 1, invalid},
      {{"netns", "add", fresh, "--pid", " -18446744073709551615"},
       2,
       notPid(" -18446744073709551615")},  // strtoul would make it PID 1
      {{"netns", "add", fresh, "--pid", "1\n2"}, 2, notPid("1\\n2")},
      {{"netns", "del", ""}, 1, invalidName + "namespace name '': the name is empty"},
      {{"netns", "del", "a/b"}, 1, invalidName + "namespace name 'a/b': the name contains '/'"},
      {{"attach", reg.name, "--vrf", "../x"}, 1, invalid + "VRF '../x': " + badChar},
      {{"attach", "../x", "--vrf", "nvred"},
       1,
       "netvrfctl: org.netvrf1.Error.NoSuchContainer: no container ../x"},
      {{"attach", "a\nb", "--vrf", "nvred"},
       1,
       "netvrfctl: org.netvrf1.Error.NoSuchContainer: no container a\\nb"},
      {{"attach", reg.name, "--vrf", "nvred", "--interface", "a b"},
       1,
       invalid + "'a b': " + badChar},
      {{"attach", reg.name, "--vrf", "nvred", "--table", "0"},
       2,
       "netvrfctl: attach: --table: '0' is not a table number (see netvrfctl attach --help)"},
      {{"attach", reg.name, "--vrf", "nvred", "--table", "254"},
       1,
       invalid + "table 254" + reserved},
      {{"attach", reg.name, "--vrf", "nvred", "--host", "--address", "10.0.0.2/24\n"},
       1,
       invalid + "'10.0.0.2/24\\n' is not an address with a prefix length"},
      {manyIfs, 1, invalid + "'bad/if': " + badChar},
      {manyAddrs, 1, invalid + "'bogus' is not an address with a prefix length"},
      {manyWords, 2, "netvrfctl: vrf: expects list, add NAME [--table N] or del NAME"},
      {{"detach", reg.name, "--vrf", "a\tb"}, 1, invalid + "VRF 'a\\tb': " + badChar},
      {{"detach", "../x"}, 1, "netvrfctl: org.netvrf1.Error.NoSuchContainer: no container ../x"},
      {{"network", "attach", "nvnonet", "--vrf", "../x"}, 1, invalid + "VRF '../x': " + badChar},
      {{"network", "detach", "../x"},
       1,
       "netvrfctl: org.netvrf1.Error.NoSuchNetwork: no network ../x"},
      {{"status", "\xff\xfe"}, 2, noUtf8("status", 1)},
      {{"vrf", "add", "\xff\xfe"}, 2, noUtf8("vrf", 2)},
      {{"vrf", "del", "nv\xff"}, 2, noUtf8("vrf", 2)},
      {{"netns", "add", "\xff\xfe", "--pid", pid}, 2, noUtf8("netns", 2)},
      {{"attach", "\xff", "--vrf", "nvred"}, 2, noUtf8("attach", 1)},
      {{"network", "detach", "\xff"}, 2, noUtf8("network", 2)},
      {{"vr\nf", "list"},
       2,
       "netvrfctl: vr\\nf: unknown command or wrong arguments (see netvrfctl vr\\nf --help)"},
  };

  Watch watch(d, api);
  for (const auto& c : cases)
    if (c.args.size() > 2 && c.args[0] == "netns") watch.watchName(c.args[2]);
  watch.watchName(fresh);
  Snapshot before = watch.take();
  for (const auto& c : cases) {
    std::string shown = "netvrfctl";
    for (const auto& a : c.args) shown += " " + printableName(a);
    SCOPED_TRACE(shown.substr(0, 160));
    Result r = netvrfctl(bus, c.args);
    std::string line = r.out.substr(0, r.out.size() - (r.out.ends_with('\n') ? 1 : 0));
    EXPECT_EQ(r.status, c.status) << r.out;
    EXPECT_TRUE(r.out.ends_with('\n') && isOneLine(line) && line.starts_with("netvrfctl: ") &&
                line.find(c.message) != std::string::npos)
        << "want: " << c.message << "\ngot:  " << r.out;
    EXPECT_LE(r.out.size(), kLongestMessage + 100) << r.out.substr(0, 200);
    watch.expectUnchanged(before);
    if (HasFatalFailure()) return;
  }
  EXPECT_FALSE(entryExists(fresh));
}

// The methods of an interface in introspection XML, each with the types of its "in" arguments.
std::map<std::string, std::vector<std::string>> methodsOf(const std::string& xml,
                                                          const std::string& iface) {
  std::map<std::string, std::vector<std::string>> out;
  auto attr = [](const std::string& tag, const std::string& name) {
    auto at = tag.find(" " + name + "=\"");
    if (at == std::string::npos) return std::string();
    at += name.size() + 3;
    return tag.substr(at, tag.find('"', at) - at);
  };
  size_t begin = xml.find("<interface name=\"" + iface + "\"");
  if (begin == std::string::npos) return out;
  size_t end = xml.find("</interface>", begin);
  std::string block = xml.substr(begin, end - begin);
  for (size_t at = block.find("<method "); at != std::string::npos;
       at = block.find("<method ", at + 1)) {
    size_t close = block.find('>', at);
    std::string tag = block.substr(at, close - at + 1);
    auto& args = out[attr(tag, "name")];
    if (tag.ends_with("/>")) continue;
    size_t stop = block.find("</method>", close);
    for (size_t a = block.find("<arg ", close); a < stop; a = block.find("<arg ", a + 1)) {
      std::string arg = block.substr(a, block.find('>', a) - a + 1);
      if (attr(arg, "direction") == "in") args.push_back(attr(arg, "type"));
    }
  }
  return out;
}

// gdbus call's text for a plausible value of `type`: one root would be allowed to pass.
std::optional<std::string> gdbusValue(const std::string& type, const std::string& name, pid_t pid) {
  if (type == "s") return "'" + name + "'";
  if (type == "u") return std::to_string(pid);
  if (type == "b") return "true";
  if (type == "as") return "@as []";
  if (type == "a{sv}") return "@a{sv} {}";
  if (type == "h") return "@h 0";  // gdbus passes its own fd 0 along
  return std::nullopt;
}

TEST_F(Hostile, EveryMethodThatChangesSomethingIsRefusedToOthers) {
  // Reading is open to everyone; everything else in the XML changes something.
  const std::set<std::string> readOnly = {"ListContainers", "ListVrfs",     "ListNamespaces",
                                          "ListNetworks",   "ListRequests", "Describe"};
  auto xml = methodsOf(fileText(NETVRF_MANAGER_XML), kManager);
  ASSERT_FALSE(xml.empty()) << NETVRF_MANAGER_XML;
  for (const auto& m : readOnly) EXPECT_TRUE(xml.count(m)) << m << " is no longer in the XML";

  SystemBus bus;
  Netvrfd d(kAlone, {bus.env()});
  ASSERT_TRUE(d.startReady()) << d.log();
  Api api(bus);
  // What netvrfd serves is what the XML says.
  auto served = methodsOf(api.get<std::string>("Introspect", "org.freedesktop.DBus.Introspectable"),
                          kManager);
  EXPECT_EQ(served, xml);
  // Nothing else on the object changes anything: the standard interfaces read, and every
  // property is read-only (checked below for Set).
  EXPECT_EQ(fileText(NETVRF_MANAGER_XML).find("access=\"readwrite\""), std::string::npos);
  EXPECT_EQ(fileText(NETVRF_MANAGER_XML).find("access=\"write\""), std::string::npos);

  Registered reg;
  ASSERT_EQ(api.call("RegisterNamespace", {reg.name, uint32_t(reg.process.pid())}).error, "");
  Watch watch(d, api);
  watch.watchName(reg.name);
  Snapshot before = watch.take();
  // gdbus call as uid 65534 in no group, or as root.
  auto gdbus = [&](bool nobody, const std::string& path, const std::string& method,
                   const std::vector<std::string>& args) {
    std::vector<std::string> argv{"env",      bus.env(),  "gdbus",       "call",
                                  "--system", "--dest",   "org.netvrf1", "--object-path",
                                  path,       "--method", method};
    if (nobody)
      argv.insert(argv.begin(),
                  {"setpriv", "--reuid", "65534", "--regid", "65534", "--clear-groups"});
    argv.insert(argv.end(), args.begin(), args.end());
    return run(argv);
  };

  int mutating = 0;
  for (const auto& [method, types] : xml) {
    if (readOnly.count(method)) continue;
    ++mutating;
    SCOPED_TRACE(method);
    // Arguments root would be allowed to pass: the registered namespace, a live process.
    std::vector<std::string> args;
    for (const auto& t : types) {
      auto v = gdbusValue(t, reg.name, reg.process.pid());
      ASSERT_TRUE(v) << "argument type " << t << ": give it a value in gdbusValue()";
      args.push_back(*v);
    }
    Result r = gdbus(true, "/org/netvrf1", std::string(kManager) + "." + method, args);
    EXPECT_NE(r.status, 0);
    EXPECT_NE(r.out.find("GDBus.Error:"s + kAccessDenied + ": " + method +
                         " is for root only (caller uid 65534)"),
              std::string::npos)
        << r.out;
    watch.expectUnchanged(before);
  }
  EXPECT_GE(mutating, 9);  // CreateVrf ... Reload: the XML was read

  // Set on a read-only property: refused by sd-bus to anyone, root included.
  std::string path = objectPath("/org/netvrf1/container", "process/" + reg.name);
  for (bool nobody : {true, false}) {
    Result set = gdbus(nobody, path, "org.freedesktop.DBus.Properties.Set",
                       {"'org.netvrf1.Container'", "'Name'", "<'x'>"});
    EXPECT_NE(set.out.find("org.freedesktop.DBus.Error.PropertyReadOnly"), std::string::npos)
        << set.out;
    watch.expectUnchanged(before);
  }
}

}  // namespace
}  // namespace netvrf::test
