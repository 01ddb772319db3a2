#include "config.hpp"

#include <gtest/gtest.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>

namespace netvrf {
namespace {

std::string errorOf(std::string_view text) {
  try {
    parseConfig(text, "/etc/netvrf/netvrfd.json");
  } catch (const ConfigError& e) {
    return e.what();
  }
  return "";
}

TEST(Config, EmptyObjectGivesDefaults) {
  Config c = parseConfig("{}", "x");
  EXPECT_EQ(c.netnsDir, "/var/run/netns");
  EXPECT_EQ(c.stateDir, "/run/netvrf");
  EXPECT_EQ(c.nameTemplate, "{name}");
  EXPECT_EQ(c.fallbackTemplate, "{name}-{shortid}");
  EXPECT_FALSE(c.cleanupOnExit);
  EXPECT_TRUE(c.docker.enabled);
  EXPECT_EQ(c.docker.socket, "/var/run/docker.sock");
  EXPECT_EQ(c.docker.endpoints,
            (std::vector<EngineEndpoint>{{"podman", "/run/podman/podman.sock"}}));
  EXPECT_EQ(c.vrf.tableFile, "/var/lib/netvrf/tables.json");
  EXPECT_EQ(c.vrf.rtTablesFile, "/etc/iproute2/rt_tables.d/netvrf.conf");
  EXPECT_EQ(c.vrf.requestsFile, "/var/lib/netvrf/requests.json");
  EXPECT_EQ(c.vrf.tableFirst, 1001u);
  EXPECT_EQ(c.vrf.tableLast, 1999u);
}

// Every key the parser knows, each set to something other than its default.
constexpr const char* kEveryKey = R"({"netns_dir": "/tmp/ns", "state_dir": "/tmp/st",
    "name_template": "ctr-{shortid}", "fallback_template": "", "cleanup_on_exit": true,
    "log_level": "debug", "docker": {"enabled": false, "socket": "/run/d.sock",
               "endpoints": [{"name": "rootless-7", "socket": "/run/user/7/docker.sock"}]},
    "vrf": {"table_file": "/tmp/t.json", "rt_tables_file": "/tmp/rt.conf",
            "requests_file": "/tmp/r.json", "table_first": 5000, "table_last": 5100},
    "api": {"group": "netvrf"}, "policies": [],
    "containerd": {"enabled": false, "socket": "/run/c.sock", "namespaces": ["default", "k8s.io"]}})";

// The JSON pointer of every leaf ("/docker/enabled", "/netns_dir"...), to compare key sets.
std::set<std::string> keysOf(const std::string& text) {
  const nlohmann::json flat = nlohmann::json::parse(text).flatten();
  std::set<std::string> keys;
  for (const auto& [key, value] : flat.items()) {
    // A list's items flatten to ".../0", ".../1"; the key is the list's own.
    auto slash = key.rfind('/');
    bool index = key.find_first_not_of("0123456789", slash + 1) == std::string::npos;
    keys.insert(index ? key.substr(0, slash) : key);
  }
  return keys;
}

TEST(Config, EveryKeyIsRead) {
  Config c = parseConfig(kEveryKey, "x");
  EXPECT_EQ(c.netnsDir, "/tmp/ns");
  EXPECT_EQ(c.stateDir, "/tmp/st");
  EXPECT_EQ(c.nameTemplate, "ctr-{shortid}");
  EXPECT_EQ(c.fallbackTemplate, "");
  EXPECT_TRUE(c.cleanupOnExit);
  EXPECT_EQ(c.logLevel, "debug");
  EXPECT_FALSE(c.docker.enabled);
  EXPECT_EQ(c.docker.socket, "/run/d.sock");
  EXPECT_EQ(c.docker.endpoints,
            (std::vector<EngineEndpoint>{{"rootless-7", "/run/user/7/docker.sock"}}));
  EXPECT_EQ(c.vrf.tableFile, "/tmp/t.json");
  EXPECT_EQ(c.vrf.requestsFile, "/tmp/r.json");
  EXPECT_EQ(c.vrf.rtTablesFile, "/tmp/rt.conf");
  EXPECT_EQ(c.vrf.tableFirst, 5000u);
  EXPECT_EQ(c.vrf.tableLast, 5100u);
  EXPECT_EQ(c.api.group, "netvrf");
  EXPECT_FALSE(c.containerd.enabled);
  EXPECT_EQ(c.containerd.socket, "/run/c.sock");
  EXPECT_EQ(c.containerd.namespaces, (std::vector<std::string>{"default", "k8s.io"}));
}

// conf/netvrfd.json is installed as /etc/netvrf/netvrfd.json: it shows every key (so an
// administrator finds them all) at exactly its default (so installing it changes nothing).
TEST(Config, ShippedFileSetsEveryKeyToItsDefault) {
  const std::string path = NETVRF_SOURCE_DIR "/conf/netvrfd.json";
  std::ifstream in(path);
  ASSERT_TRUE(in) << path;
  std::stringstream text;
  text << in.rdbuf();
  Config c = parseConfig(text.str(), path);
  const Config d;
  EXPECT_EQ(c.netnsDir, d.netnsDir);
  EXPECT_EQ(c.stateDir, d.stateDir);
  EXPECT_EQ(c.nameTemplate, d.nameTemplate);
  EXPECT_EQ(c.fallbackTemplate, d.fallbackTemplate);
  EXPECT_EQ(c.cleanupOnExit, d.cleanupOnExit);
  EXPECT_EQ(c.logLevel, d.logLevel);
  EXPECT_EQ(c.docker.enabled, d.docker.enabled);
  EXPECT_EQ(c.docker.socket, d.docker.socket);
  EXPECT_EQ(c.docker.endpoints, d.docker.endpoints);
  EXPECT_EQ(c.vrf.tableFile, d.vrf.tableFile);
  EXPECT_EQ(c.vrf.rtTablesFile, d.vrf.rtTablesFile);
  EXPECT_EQ(c.vrf.requestsFile, d.vrf.requestsFile);
  EXPECT_EQ(c.vrf.tableFirst, d.vrf.tableFirst);
  EXPECT_EQ(c.vrf.tableLast, d.vrf.tableLast);
  EXPECT_EQ(c.api.group, d.api.group);
  EXPECT_EQ(c.containerd.enabled, d.containerd.enabled);
  EXPECT_EQ(c.containerd.socket, d.containerd.socket);
  EXPECT_EQ(c.containerd.namespaces, d.containerd.namespaces);
  EXPECT_EQ(keysOf(text.str()), keysOf(kEveryKey)) << "a key is missing from " << path;
}

TEST(Config, ErrorsNameTheFileAndTheKey) {
  EXPECT_EQ(errorOf(R"({"netns_dri": "/x"})"), "/etc/netvrf/netvrfd.json: unknown key 'netns_dri'");
  EXPECT_EQ(errorOf(R"({"docker": {"sock": "/x"}})"),
            "/etc/netvrf/netvrfd.json: unknown key 'docker.sock'");
  EXPECT_EQ(errorOf(R"({"docker": {"enabled": "yes"}})"),
            "/etc/netvrf/netvrfd.json: key 'docker.enabled' must be true or false, not string");
  EXPECT_EQ(errorOf(R"({"netns_dir": 3})"),
            "/etc/netvrf/netvrfd.json: key 'netns_dir' must be a string, not number");
  EXPECT_EQ(errorOf(R"({"docker": []})"),
            "/etc/netvrf/netvrfd.json: key 'docker' must be an object, not array");
  EXPECT_EQ(errorOf(R"([1])"), "/etc/netvrf/netvrfd.json: the document must be a JSON object");
  EXPECT_EQ(errorOf(R"({"state_dir": "run/netvrf"})"),
            "/etc/netvrf/netvrfd.json: key 'state_dir' must be an absolute path");
  EXPECT_EQ(errorOf(R"({"log_level": "loud"})"),
            "/etc/netvrf/netvrfd.json: key 'log_level' must be one of error, warning, notice, "
            "info, debug");
  EXPECT_EQ(errorOf(R"({"vrf": {"table_first": 254}})"),
            "/etc/netvrf/netvrfd.json: key 'vrf.table_first' must be a table from 1 to 4294967295 "
            "other than 253, 254 and 255");
  EXPECT_EQ(errorOf(R"({"vrf": {"table_last": -1}})"),
            "/etc/netvrf/netvrfd.json: key 'vrf.table_last' must be a table number, not number");
  EXPECT_EQ(errorOf(R"({"vrf": {"table_first": 3000, "table_last": 2000}})"),
            "/etc/netvrf/netvrfd.json: key 'vrf.table_first' is above vrf.table_last");
}

TEST(Config, EndpointsAreChecked) {
  const std::string f = "/etc/netvrf/netvrfd.json: key ";
  EXPECT_EQ(parseConfig(R"({"docker": {"endpoints": []}})", "x").docker.endpoints.size(), 0u);
  EXPECT_EQ(errorOf(R"({"docker": {"endpoints": {"name": "p"}}})"),
            f + "'docker.endpoints' must be a list of {\"name\", \"socket\"} objects");
  EXPECT_EQ(errorOf(R"({"docker": {"endpoints": ["/run/p.sock"]}})"),
            f + "'docker.endpoints[0]' must be an object, not string");
  EXPECT_EQ(errorOf(R"({"docker": {"endpoints": [{"name": "p", "sock": "/x"}]}})"),
            "/etc/netvrf/netvrfd.json: unknown key 'docker.endpoints[0].sock'");
  EXPECT_EQ(errorOf(R"({"docker": {"endpoints": [{"name": "Pod/man", "socket": "/x"}]}})"),
            f + "'docker.endpoints[0].name' must be 1 to 32 of a-z, 0-9 and '-'");
  EXPECT_EQ(errorOf(R"({"docker": {"endpoints": [{"socket": "/x"}]}})"),
            f + "'docker.endpoints[0].name' must be 1 to 32 of a-z, 0-9 and '-'");
  EXPECT_EQ(errorOf(R"({"docker": {"endpoints": [{"name": "docker", "socket": "/x"}]}})"),
            f + "'docker.endpoints[0].name' must not be 'docker': netvrfd's own watchers use it");
  EXPECT_EQ(errorOf(R"({"docker": {"endpoints": [{"name": "p", "socket": "x.sock"}]}})"),
            f + "'docker.endpoints[0].socket' must be an absolute path");
  EXPECT_EQ(errorOf(R"({"docker": {"endpoints": [{"name": "p", "socket": "/x"},
                                                 {"name": "p", "socket": "/y"}]}})"),
            f + "'docker.endpoints[1].name' repeats 'p'");
  EXPECT_EQ(errorOf(R"({"docker": {"endpoints": [{"name": "p", "socket": "/x"},
                                                 {"name": "q", "socket": "/x"}]}})"),
            f + "'docker.endpoints[1].socket' repeats '/x'");
}

TEST(Config, TemplatesAreChecked) {
  EXPECT_EQ(errorOf(R"({"name_template": "{nmae}"})"),
            "/etc/netvrf/netvrfd.json: key 'name_template' has an unknown placeholder '{nmae}' "
            "(known: {name}, {id}, {shortid}, {ns})");
  EXPECT_EQ(errorOf(R"({"name_template": "fixed"})"),
            "/etc/netvrf/netvrfd.json: key 'name_template' must contain {name}, {id} or {shortid}");
  EXPECT_EQ(errorOf(R"({"fallback_template": "a/{name}"})"),
            "/etc/netvrf/netvrfd.json: key 'fallback_template' must not contain '/'");
  EXPECT_EQ(errorOf(R"({"name_template": ""})"),
            "/etc/netvrf/netvrfd.json: key 'name_template' must contain {name}, {id} or {shortid}");
}

TEST(Config, SyntaxErrorsSayWhere) {
  std::string e = errorOf("{\n  \"netns_dir\": \n}");
  EXPECT_EQ(e.rfind("/etc/netvrf/netvrfd.json: parse error at line 3", 0), 0u) << e;
}

TEST(Config, MissingExplicitFileIsAnError) {
  EXPECT_THROW(loadConfig(std::string("/nonexistent/netvrfd.json")), ConfigError);
}

}  // namespace
}  // namespace netvrf
