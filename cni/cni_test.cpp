// The plugin's pure parts: versions, results in each version, errors, reading an invocation and
// choosing the VRF. What it does in a namespace is tested for real in
// tests/integration/cni_plugin_test.cpp (host) and tests/vm (with VRFs).
#include <gtest/gtest.h>

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <map>

#include "conflist.hpp"
#include "delegate.hpp"
#include "plugin.hpp"
#include "request.hpp"
#include "spec.hpp"

namespace netvrf::cni {
namespace {

using nlohmann::json;

Environment envOf(std::map<std::string, std::string> vars) {
  return [vars = std::move(vars)](const std::string& name) -> std::optional<std::string> {
    auto it = vars.find(name);
    if (it == vars.end()) return std::nullopt;
    return it->second;
  };
}

std::map<std::string, std::string> addEnv() {
  return {{"CNI_COMMAND", "ADD"},
          {"CNI_CONTAINERID", "c1"},
          {"CNI_NETNS", "/var/run/netns/cni-test"},
          {"CNI_IFNAME", "eth0"},
          {"CNI_PATH", "/usr/lib/cni"}};
}

int codeOf(const std::function<void()>& f) {
  try {
    f();
  } catch (const Error& e) {
    return e.code();
  }
  return 0;
}

const json kPrev040 = json::parse(R"({
  "cniVersion": "0.4.0",
  "interfaces": [{"name": "eth0", "mac": "02:00:00:00:00:01", "sandbox": "/var/run/netns/x"}],
  "ips": [{"version": "4", "address": "192.0.2.5/24", "gateway": "192.0.2.1", "interface": 0},
          {"version": "6", "address": "2001:db8::5/64", "interface": 0}],
  "routes": [{"dst": "0.0.0.0/0"}],
  "dns": {}
})");

TEST(CniSpec, VersionAnswersWithEverySupportedVersion) {
  json v = versionJson("0.4.0");
  EXPECT_EQ(v["cniVersion"], "0.4.0");
  EXPECT_EQ(v["supportedVersions"], json({"0.3.0", "0.3.1", "0.4.0", "1.0.0"}));
  EXPECT_EQ(versionJson("")["cniVersion"], "1.0.0");  // VERSION may come without a version
}

TEST(CniSpec, ResultsConvertBetween040And100) {
  json to100 = convertResult(kPrev040, "0.4.0", "1.0.0");
  EXPECT_EQ(to100["cniVersion"], "1.0.0");
  for (const auto& ip : to100["ips"]) EXPECT_FALSE(ip.contains("version")) << ip;
  EXPECT_EQ(to100["ips"][0]["gateway"], "192.0.2.1");
  EXPECT_EQ(to100["interfaces"], kPrev040["interfaces"]);
  EXPECT_EQ(to100["routes"], kPrev040["routes"]);

  json back = convertResult(to100, "1.0.0", "0.4.0");
  EXPECT_EQ(back, kPrev040);  // the IP version comes back from the address
  EXPECT_EQ(convertResult(to100, "1.0.0", "0.3.1")["ips"][1]["version"], "6");
}

TEST(CniSpec, ResultsItCannotReadAreErrorsWithTheSpecsCodes) {
  json old = {{"cniVersion", "0.2.0"}, {"ip4", {{"ip", "192.0.2.5/24"}}}};
  EXPECT_EQ(codeOf([&] { convertResult(old, "0.2.0", "1.0.0"); }), kIncompatibleVersion);
  EXPECT_EQ(codeOf([&] { convertResult(kPrev040, "0.4.0", "2.0.0"); }), kIncompatibleVersion);
  EXPECT_EQ(codeOf([&] { convertResult(json::array(), "1.0.0", "1.0.0"); }), kDecodeFailure);
  json noAddress = {{"cniVersion", "1.0.0"}, {"ips", {{{"gateway", "192.0.2.1"}}}}};
  EXPECT_EQ(codeOf([&] { convertResult(noAddress, "1.0.0", "1.0.0"); }), kDecodeFailure);
  // A result without a cniVersion of its own is in the configuration's.
  json bare = {{"ips", {{{"address", "192.0.2.5/24"}}}}};
  EXPECT_EQ(convertResult(bare, "0.4.0", "0.4.0")["ips"][0]["version"], "4");
}

TEST(CniSpec, ErrorsAreTheSpecsObject) {
  json e = errorJson("0.4.0", Error(kNoVrfSupport, "no VRF support", "CONFIG_NET_VRF"));
  EXPECT_EQ(e, json({{"cniVersion", "0.4.0"},
                     {"code", 100},
                     {"msg", "no VRF support"},
                     {"details", "CONFIG_NET_VRF"}}));
  EXPECT_FALSE(errorJson("1.0.0", Error(kInvalidConfig, "x")).contains("details"));
  EXPECT_EQ(errorJson("", Error(kDecodeFailure, "x"))["cniVersion"], "1.0.0");
}

TEST(CniRequest, ReadsTheEnvironmentAndTheConfiguration) {
  auto env = addEnv();
  env["CNI_ARGS"] = "IgnoreUnknown=1;K8S_POD_NAMESPACE=default;K8S_POD_NAME=web;NETVRF_VRF=red";
  Request r = parseRequest(envOf(env), R"({"cniVersion": "1.0.0", "name": "n", "type": "netvrf"})");
  EXPECT_EQ(r.command, "ADD");
  EXPECT_EQ(r.containerId, "c1");
  EXPECT_EQ(r.netns, "/var/run/netns/cni-test");
  EXPECT_EQ(r.ifname, "eth0");
  EXPECT_EQ(r.version, "1.0.0");
  EXPECT_EQ(r.args.at("K8S_POD_NAME"), "web");
  EXPECT_EQ(r.args.at("NETVRF_VRF"), "red");
}

TEST(CniRequest, BadInvocationsGetTheSpecsCodes) {
  const std::string conf = R"({"cniVersion": "0.4.0", "name": "n", "type": "netvrf"})";
  EXPECT_EQ(codeOf([&] { parseRequest(envOf({}), conf); }), kInvalidEnvironment);
  auto env = addEnv();
  env["CNI_COMMAND"] = "GC";
  EXPECT_EQ(codeOf([&] { parseRequest(envOf(env), conf); }), kInvalidEnvironment);
  env = addEnv();
  env.erase("CNI_NETNS");
  EXPECT_EQ(codeOf([&] { parseRequest(envOf(env), conf); }), kInvalidEnvironment);
  env = addEnv();
  env["CNI_ARGS"] = "K8S_POD_NAME=web;garbage";
  EXPECT_EQ(codeOf([&] { parseRequest(envOf(env), conf); }), kInvalidEnvironment);
  EXPECT_EQ(codeOf([&] { parseRequest(envOf(addEnv()), "{not json"); }), kDecodeFailure);
  EXPECT_EQ(codeOf([&] { parseRequest(envOf(addEnv()), R"({"cniVersion": "0.2.0"})"); }),
            kIncompatibleVersion);
  EXPECT_EQ(codeOf([&] { parseRequest(envOf(addEnv()), R"({"cniVersion": 1})"); }), kInvalidConfig);
  env = addEnv();
  env["CNI_COMMAND"] = "CHECK";
  EXPECT_EQ(codeOf([&] { parseRequest(envOf(env), R"({"cniVersion": "0.3.1"})"); }),
            kIncompatibleVersion);  // CHECK came with 0.4.0
}

TEST(CniRequest, DelNeedsNoNamespaceAndVersionNoConfiguration) {
  auto env = addEnv();
  env["CNI_COMMAND"] = "DEL";
  env["CNI_NETNS"] = "";
  EXPECT_EQ(parseRequest(envOf(env), R"({"cniVersion": "1.0.0"})").netns, "");
  Request v = parseRequest(envOf({{"CNI_COMMAND", "VERSION"}}), "");
  EXPECT_EQ(run(v).value()["supportedVersions"].size(), 4u);
}

json withSources(bool cniArgs, bool annotation, bool config) {
  json c = {{"cniVersion", "1.0.0"}, {"name", "n"}, {"type", "netvrf"}};
  if (cniArgs) c["args"] = {{"cni", {{"vrf", "green"}, {"table", 1300}}}};
  if (annotation)
    c["runtimeConfig"] = {{kAnnotationsCapability, {{"netvrf.vrf", "blue"}, {"other", "x"}}}};
  if (config) {
    c["vrf"] = "red";
    c["table"] = 1100;
  }
  return c;
}

Choice chooseFor(const json& conf, bool cniArgsVar) {
  auto env = addEnv();
  if (cniArgsVar) env["CNI_ARGS"] = "IgnoreUnknown=1;NETVRF_VRF=yellow";
  return choose(parseRequest(envOf(env), conf.dump()));
}

TEST(CniChoice, TheVrfComesFromArgsThenAnnotationThenCniArgsThenTheConfiguration) {
  Choice c = chooseFor(withSources(true, true, true), true);
  EXPECT_EQ(c.vrf, "green");
  EXPECT_EQ(c.from, "args.cni");
  EXPECT_EQ(c.table, 1300u);
  c = chooseFor(withSources(false, true, true), true);
  EXPECT_EQ(c.vrf, "blue");
  EXPECT_EQ(c.from, "pod annotation netvrf.vrf");
  EXPECT_FALSE(c.table) << "the configuration's table is its own VRF's";
  c = chooseFor(withSources(false, false, true), true);
  EXPECT_EQ(c.vrf, "yellow");
  EXPECT_EQ(c.from, "CNI_ARGS NETVRF_VRF");
  EXPECT_FALSE(c.table);
  c = chooseFor(withSources(false, false, true), false);
  EXPECT_EQ(c.vrf, "red");
  EXPECT_EQ(c.from, "the plugin configuration");
  EXPECT_EQ(c.table, 1100u);
  c = chooseFor(withSources(false, false, false), false);
  EXPECT_EQ(c.vrf, "") << "nothing asked for: pass through";
  EXPECT_EQ(c.interfaces, std::vector<std::string>{"eth0"});
}

TEST(CniChoice, AnEmptyAnnotationAsksForNothing) {
  json conf = withSources(false, false, true);
  conf["runtimeConfig"] = {{kAnnotationsCapability, {{"netvrf.vrf", ""}}}};
  EXPECT_EQ(chooseFor(conf, false).vrf, "red");
}

TEST(CniChoice, BadNamesAndTablesAreConfigErrorsNamingTheirSource) {
  json conf = withSources(false, false, false);
  conf["runtimeConfig"] = {{kAnnotationsCapability, {{"netvrf.vrf", "a/b"}}}};
  try {
    chooseFor(conf, false);
    FAIL() << "a VRF name with a slash was taken";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), kInvalidConfig);
    EXPECT_NE(std::string(e.what()).find("pod annotation netvrf.vrf"), std::string::npos)
        << e.what();
  }
  // A hostile name stays one line in the message (stderr is one line).
  conf["runtimeConfig"] = {{kAnnotationsCapability, {{"netvrf.vrf", "a\nb"}}}};
  try {
    chooseFor(conf, false);
    FAIL() << "a VRF name with a newline was taken";
  } catch (const Error& e) {
    EXPECT_EQ(std::string(e.what()).find('\n'), std::string::npos) << e.what();
  }
  conf = withSources(false, false, true);
  conf["table"] = 254;  // main
  EXPECT_EQ(codeOf([&] { chooseFor(conf, false); }), kInvalidConfig);
  conf = withSources(false, false, false);
  conf["table"] = 1100;
  EXPECT_EQ(codeOf([&] { chooseFor(conf, false); }), kInvalidConfig);  // a table, no VRF
  conf = withSources(false, false, true);
  conf["strict"] = "yes";
  EXPECT_EQ(codeOf([&] { chooseFor(conf, false); }), kInvalidConfig);
  conf = withSources(false, false, true);
  conf["interfaces"] = json::array();
  EXPECT_EQ(codeOf([&] { chooseFor(conf, false); }), kInvalidConfig);
  conf["interfaces"] = {"eth0", "net1"};
  EXPECT_EQ(chooseFor(conf, false).interfaces, (std::vector<std::string>{"eth0", "net1"}));
  conf = withSources(false, false, true);
  conf["table_file"] = 3;
  EXPECT_EQ(codeOf([&] { tableFilesOf(conf); }), kInvalidConfig);
}

TEST(CniPlugin, WithoutAVrfAddPassesThePreviousResultThroughInTheConfigurationsVersion) {
  json conf = withSources(false, false, false);
  conf["cniVersion"] = "0.4.0";
  conf["prevResult"] = kPrev040;
  // The namespace is not even opened: nothing asked of it.
  auto out = run(parseRequest(envOf(addEnv()), conf.dump()));
  ASSERT_TRUE(out);
  EXPECT_EQ(*out, kPrev040);
  conf.erase("prevResult");
  EXPECT_EQ(*run(parseRequest(envOf(addEnv()), conf.dump())), json({{"cniVersion", "0.4.0"}}));
  auto env = addEnv();
  env["CNI_COMMAND"] = "DEL";
  EXPECT_FALSE(run(parseRequest(envOf(env), conf.dump())));
}

TEST(CniDaemon, TheDaemonKeyIsPreferredUnlessSaidAndAnythingElseIsAConfigError) {
  EXPECT_EQ(daemonUseOf(json::object()), DaemonUse::Preferred);
  EXPECT_EQ(daemonUseOf({{"daemon", nullptr}}), DaemonUse::Preferred);
  EXPECT_EQ(daemonUseOf({{"daemon", "required"}}), DaemonUse::Required);
  EXPECT_EQ(daemonUseOf({{"daemon", "preferred"}}), DaemonUse::Preferred);
  EXPECT_EQ(daemonUseOf({{"daemon", "never"}}), DaemonUse::Never);
  EXPECT_EQ(codeOf([] { daemonUseOf({{"daemon", "always"}}); }), kInvalidConfig);
  EXPECT_EQ(codeOf([] { daemonUseOf({{"daemon", true}}); }), kInvalidConfig);
}

TEST(CniDaemon, PodsAreNamedAsNetvrfdNamesContainerdsPods) {
  auto env = addEnv();
  json conf = withSources(false, false, true);
  EXPECT_EQ(podNameOf(parseRequest(envOf(env), conf.dump())), "");
  env["CNI_ARGS"] = "IgnoreUnknown=1;K8S_POD_NAMESPACE=kube-system;K8S_POD_NAME=coredns-7db6";
  EXPECT_EQ(podNameOf(parseRequest(envOf(env), conf.dump())), "kube-system_coredns-7db6");
  env["CNI_ARGS"] = "K8S_POD_NAMESPACE=;K8S_POD_NAME=web";
  EXPECT_EQ(podNameOf(parseRequest(envOf(env), conf.dump())), "");
}

TEST(CniConflist, NetvrfGoesLastOnceWithThePodAnnotationsCapability) {
  json list = {{"cniVersion", "1.0.0"},
               {"name", "pods"},
               {"plugins", {{{"type", "bridge"}}, {{"type", "portmap"}}}}};
  auto added = withNetvrf(list);
  ASSERT_TRUE(added);
  EXPECT_EQ((*added)["plugins"].size(), 3u);
  EXPECT_EQ((*added)["plugins"][2],
            json({{"type", "netvrf"}, {"capabilities", {{kAnnotationsCapability, true}}}}));
  EXPECT_EQ((*added)["name"], "pods");
  EXPECT_FALSE(withNetvrf(*added)) << "twice";
}

TEST(CniConflist, ASinglePluginBecomesAListAndOtherShapesAreRefused) {
  json single = {{"cniVersion", "0.4.0"}, {"name", "n"}, {"type", "bridge"}, {"bridge", "cni0"}};
  auto list = withNetvrf(single);
  ASSERT_TRUE(list);
  EXPECT_EQ(*list,
            json({{"cniVersion", "0.4.0"},
                  {"name", "n"},
                  {"plugins",
                   {{{"type", "bridge"}, {"bridge", "cni0"}},
                    {{"type", "netvrf"}, {"capabilities", {{kAnnotationsCapability, true}}}}}}}));
  EXPECT_EQ(codeOf([] { withNetvrf(json::array()); }), kInvalidConfig);
  EXPECT_EQ(codeOf([] { withNetvrf({{"name", "n"}}); }), kInvalidConfig);
  EXPECT_EQ(codeOf([] { withNetvrf({{"plugins", json::array()}}); }), kInvalidConfig);
}

TEST(CniConflist, InstallEditsTheFileTheRuntimeLoadsAndOnlyOnce) {
  std::string dir = ::testing::TempDir() + "netvrf-conflist-" + std::to_string(getpid());
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  EXPECT_EQ(codeOf([&] { installInto(dir); }), kIoFailure) << "no file yet";
  std::ofstream(dir + "/20-other.conflist") << R"({"name": "b", "plugins": [{"type": "ptp"}]})";
  std::ofstream(dir + "/10-pods.conf") << R"({"name": "a", "type": "bridge"})";
  std::ofstream(dir + "/00-readme.txt") << "not a network";
  EXPECT_EQ(networkFileIn(dir), dir + "/10-pods.conf");
  EXPECT_NE(installInto(dir).find("made " + dir + "/10-pods.conflist"), std::string::npos);
  EXPECT_TRUE(std::filesystem::exists(dir + "/10-pods.conf.netvrf-orig"));
  EXPECT_EQ(networkFileIn(dir), dir + "/10-pods.conflist");
  std::ifstream in(dir + "/10-pods.conflist");
  json made = json::parse(in);
  EXPECT_EQ(made["plugins"].back()["type"], "netvrf");
  EXPECT_EQ(installInto(dir), dir + "/10-pods.conflist has netvrf already");
  std::ifstream other(dir + "/20-other.conflist");
  EXPECT_EQ(json::parse(other)["plugins"].size(), 1u) << "only the first file is the runtime's";
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace netvrf::cni
