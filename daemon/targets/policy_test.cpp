#include "targets/policy.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <nlohmann/json.hpp>

#include "config.hpp"
#include "targets/wanted.hpp"

namespace netvrf {
namespace {

using nlohmann::json;

// The one-line error for a configuration with these policies, or "".
std::string configError(const std::string& policies) {
  try {
    parseConfig(R"({"policies": )" + policies + "}", "/etc/netvrf/netvrfd.json");
  } catch (const ConfigError& e) {
    return e.what();
  }
  return "";
}

ContainerInfo container(const std::string& name, std::map<std::string, std::string> labels = {},
                        const std::string& runtime = "docker", const std::string& image = "") {
  ContainerInfo i;
  i.runtime = runtime;
  i.id = "0123456789abcdef";
  i.name = name;
  i.labels = std::move(labels);
  i.image = image;
  return i;
}

TEST(Policy, EveryMatchKeyAndOptionIsRead) {
  Config c = parseConfig(R"({"policies": [
      {"match": {"name": "web-*", "image": "nginx:*", "label": "tier=front",
                 "compose_project": "shop", "compose_service": "api",
                 "containerd_namespace": "k8s.io", "pod_namespace": "prod", "runtime": "docker"},
       "vrf": "red", "table": 1010, "interfaces": ["eth0", "eth1"], "strict": true,
       "host_vrf": "green", "host_table": 1020, "host_addresses": ["203.0.113.10/24"],
       "host_gateways": ["203.0.113.1"], "host_interface": "up0"}]})",
                         "x");
  ASSERT_EQ(c.policies.size(), 1u);
  const Policy& p = c.policies[0];
  EXPECT_EQ(p.match.name, "web-*");
  EXPECT_EQ(p.match.image, "nginx:*");
  EXPECT_EQ(p.match.label, "tier=front");
  EXPECT_EQ(p.match.composeProject, "shop");
  EXPECT_EQ(p.match.composeService, "api");
  EXPECT_EQ(p.match.containerdNamespace, "k8s.io");
  EXPECT_EQ(p.match.podNamespace, "prod");
  EXPECT_EQ(p.match.runtime, "docker");
  std::map<std::string, std::string> labels{
      {"netvrf.vrf", "red"},         {"netvrf.table", "1010"},
      {"netvrf.interfaces", "eth0,eth1"}, {"netvrf.strict", "true"},
      {"netvrf.host_vrf", "green"},  {"netvrf.host_table", "1020"},
      {"netvrf.host_addresses", "203.0.113.10/24"}, {"netvrf.host_gateways", "203.0.113.1"},
      {"netvrf.host_interface", "up0"}};
  EXPECT_EQ(p.labels, labels);
}

TEST(Policy, ABadPolicyIsOneLineNamingItsIndexAndKey) {
  const std::string ok = R"({"match": {"name": "*"}, "vrf": "red"})";
  EXPECT_EQ(configError("[" + ok + R"(, {"match": {"name": "*"}, "vrf": "red", "tabel": 7}])"),
            "/etc/netvrf/netvrfd.json: key 'policies[1].tabel' is not a policy key (known: match, "
            "vrf, table, interfaces, strict, host_vrf, host_table, host_addresses, host_gateways, "
            "host_interface)");
  EXPECT_EQ(configError(R"([{"match": {"image": 7}, "vrf": "red"}])"),
            "/etc/netvrf/netvrfd.json: key 'policies[0].match.image' must be a string, not number");
  EXPECT_EQ(configError(R"([{"match": {"colour": "blue"}, "vrf": "red"}])").find(
                "key 'policies[0].match.colour' is not a match key"),
            std::string("/etc/netvrf/netvrfd.json: ").size());
  EXPECT_EQ(configError(R"([{"match": {}, "vrf": "red"}])"),
            "/etc/netvrf/netvrfd.json: key 'policies[0].match' needs at least one key (\"name\": "
            "\"*\" matches every container)");
  EXPECT_EQ(configError(R"([{"vrf": "red"}])"),
            "/etc/netvrf/netvrfd.json: key 'policies[0].match' is missing: which containers?");
  EXPECT_EQ(configError(R"([{"match": {"name": "*"}, "table": 1001}])"),
            "/etc/netvrf/netvrfd.json: key 'policies[0].vrf' is missing: a policy needs vrf or "
            "host_vrf");
  EXPECT_EQ(configError(R"([{"match": {"name": "*"}, "vrf": "a/b"}])").find(
                "key 'policies[0].vrf' cannot be used: "),
            std::string("/etc/netvrf/netvrfd.json: ").size());
  EXPECT_EQ(configError(R"([{"match": {"name": "*"}, "vrf": "red", "table": 254}])").find(
                "key 'policies[0].table' cannot be used: "),
            std::string("/etc/netvrf/netvrfd.json: ").size());
  EXPECT_EQ(configError(R"([{"match": {"name": "*"}, "host_vrf": "g"}])").find(
                "key 'policies[0].host_addresses' cannot be used: "),
            std::string("/etc/netvrf/netvrfd.json: ").size());
  EXPECT_EQ(configError(R"([{"match": {"name": "*"}, "host_vrf": "g", "host_addresses": ["x"]}])")
                .find("key 'policies[0].host_addresses' cannot be used: "),
            std::string("/etc/netvrf/netvrfd.json: ").size());
  EXPECT_EQ(configError(R"([{"match": {"name": "*"}, "vrf": "red", "strict": "yes"}])"),
            "/etc/netvrf/netvrfd.json: key 'policies[0].strict' must be true or false, not string");
  EXPECT_EQ(configError(R"({"match": {"name": "*"}})"),
            "/etc/netvrf/netvrfd.json: key 'policies' must be a list of policies, not object");
  for (const auto& e : {configError(R"([7])"), configError("[" + ok + ", " + ok + R"(, {}])")})
    EXPECT_EQ(e.find('\n'), std::string::npos) << e;
  EXPECT_EQ(configError("[" + ok + "]"), "");
}

TEST(Policy, EveryKeyGivenMustMatch) {
  PolicyMatch m;
  m.name = "web-*";
  EXPECT_TRUE(matches(m, container("web-1")));
  EXPECT_FALSE(matches(m, container("db-1")));
  m.image = "nginx:*";
  EXPECT_FALSE(matches(m, container("web-1")));  // no image known: no match
  EXPECT_TRUE(matches(m, container("web-1", {}, "docker", "nginx:1.25")));
  EXPECT_FALSE(matches(m, container("web-1", {}, "docker", "httpd:2")));

  PolicyMatch label;
  label.label = "tier=front";
  EXPECT_TRUE(matches(label, container("a", {{"tier", "front"}})));
  EXPECT_FALSE(matches(label, container("a", {{"tier", "back"}})));
  EXPECT_FALSE(matches(label, container("a")));
  label.label = "tier";
  EXPECT_TRUE(matches(label, container("a", {{"tier", "back"}})));

  PolicyMatch compose;
  compose.composeProject = "shop";
  compose.composeService = "api*";
  std::map<std::string, std::string> shop{{"com.docker.compose.project", "shop"},
                                          {"com.docker.compose.service", "api-v2"}};
  EXPECT_TRUE(matches(compose, container("shop-api-1", shop)));
  shop["com.docker.compose.project"] = "shop2";
  EXPECT_FALSE(matches(compose, container("shop-api-1", shop)));
  compose = {};
  compose.composeProject = "*";
  EXPECT_FALSE(matches(compose, container("plain")));  // not a compose container at all

  PolicyMatch ns;
  ns.containerdNamespace = "k8s.io";
  EXPECT_TRUE(matches(ns, container("p", {}, "containerd:k8s.io")));
  EXPECT_FALSE(matches(ns, container("p", {}, "containerd:default")));
  EXPECT_FALSE(matches(ns, container("p", {}, "docker")));

  PolicyMatch pod;
  pod.podNamespace = "prod-*";
  EXPECT_TRUE(matches(pod, container("prod-a_web", {{"io.kubernetes.pod.namespace", "prod-a"}},
                                     "containerd:k8s.io")));
  EXPECT_FALSE(matches(pod, container("dev_web", {{"io.kubernetes.pod.namespace", "dev"}},
                                      "containerd:k8s.io")));

  PolicyMatch runtime;
  runtime.runtime = "containerd";
  EXPECT_TRUE(matches(runtime, container("p", {}, "containerd:k8s.io")));
  EXPECT_FALSE(matches(runtime, container("p", {}, "podman")));
  runtime.runtime = "podman";
  EXPECT_TRUE(matches(runtime, container("p", {}, "podman")));
}

class PolicyWanted : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/netvrf-policy-XXXXXX";
    dir_ = mkdtemp(tmpl);
    store_.emplace(dir_ + "/requests.json");
    policies_ = parseConfig(R"({"policies": [
        {"match": {"compose_project": "shop"}, "vrf": "red"},
        {"match": {"image": "nginx:*"}, "vrf": "blue", "strict": true},
        {"match": {"name": "*"}, "host_vrf": "green", "host_addresses": ["203.0.113.10/24"]}]})",
                            "x")
                    .policies;
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  Wanted wanted(const ContainerInfo& i) { return wantedFor(i, *store_, {}, policies_); }

  std::string dir_;
  std::optional<RequestStore> store_;
  std::vector<Policy> policies_;
};

TEST_F(PolicyWanted, TheFirstMatchingPolicyWins) {
  Wanted w = wanted(container("shop-web-1", {{"com.docker.compose.project", "shop"}}, "docker",
                              "nginx:1.25"));
  EXPECT_EQ(w.inside.source, WantSource::Policy);
  EXPECT_EQ(w.inside.policy, 0u);
  EXPECT_EQ(w.inside.from(), "policy 0");
  EXPECT_EQ(w.inside.request->vrf, "red");
  // The first match decides for both parts: policy 0 asks for no leg.
  EXPECT_FALSE(w.host.request);
  w = wanted(container("web", {}, "docker", "nginx:1.25"));
  EXPECT_EQ(w.inside.from(), "policy 1");
  EXPECT_EQ(w.inside.request->vrf, "blue");
  EXPECT_TRUE(w.inside.request->strict);
  w = wanted(container("other"));
  EXPECT_EQ(w.inside.source, WantSource::None);
  EXPECT_EQ(w.host.from(), "policy 2");
  EXPECT_EQ(w.host.request->hostIfname, defaultHostIfname("0123456789abcdef", "green"));
}

TEST_F(PolicyWanted, LabelsAndRequestsComeBeforePolicies) {
  ContainerInfo i = container("shop-web-1", {{"com.docker.compose.project", "shop"},
                                             {"netvrf.vrf", "mine"}});
  EXPECT_EQ(wanted(i).inside.source, WantSource::Label);
  EXPECT_EQ(wanted(i).inside.request->vrf, "mine");
  StoredRequest r;
  r.runtime = "docker";
  r.name = "shop-web-1";
  r.detached = true;
  store_->put(r);
  EXPECT_EQ(wanted(i).inside.source, WantSource::Detached);
  i.labels.erase("netvrf.vrf");
  EXPECT_EQ(wanted(i).inside.source, WantSource::Detached);  // kept out of the policy's VRF too
  // Labels that cannot be used are an error, not a reason to fall through to a policy.
  ContainerInfo broken = container("shop-db-1", {{"com.docker.compose.project", "shop"},
                                                 {"netvrf.tabel", "7"}});
  EXPECT_FALSE(wanted(broken).inside.request);
  EXPECT_EQ(wanted(broken).inside.from(), "label error");
}

}  // namespace
}  // namespace netvrf
