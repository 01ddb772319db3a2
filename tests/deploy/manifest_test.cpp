// The DaemonSet manifest (deploy/kubernetes/netvrf.yaml) parsed as Kubernetes reads it (YAML)
// and checked, without a cluster, for what netvrfd and the node set-up need on a node: the
// host's network and PID namespaces, privileges, every directory netvrfd's built-in defaults
// (conf/netvrfd.json) name mounted from the node, /run/netns Bidirectional, and the node set-up's
// directories.
#include <gtest/gtest.h>
#include <yaml-cpp/yaml.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <string>

namespace {

namespace fs = std::filesystem;

class Manifest : public ::testing::Test {
 protected:
  void SetUp() override {
    doc_ = YAML::LoadFile(std::string(NETVRF_SOURCE_DIR) + "/deploy/kubernetes/netvrf.yaml");
    pod_ = doc_["spec"]["template"]["spec"];
    ASSERT_TRUE(pod_.IsMap());
    for (const auto& v : pod_["volumes"])
      if (v["hostPath"])
        hostPaths_[v["name"].as<std::string>()] = v["hostPath"]["path"].as<std::string>();
  }
  YAML::Node container(const char* list, const std::string& name) {
    for (const auto& c : pod_[list])
      if (c["name"].as<std::string>() == name) return c;
    ADD_FAILURE() << "no " << list << " entry " << name;
    return YAML::Node();
  }
  // The node's path mounted at `path` in container `c` (the deepest mount that holds it),
  // with its propagation; "" when none.
  std::pair<std::string, std::string> nodePathOf(const YAML::Node& c, const std::string& path) {
    std::string best, node, propagation;
    for (const auto& m : c["volumeMounts"]) {
      std::string at = m["mountPath"].as<std::string>();
      if ((path == at || path.starts_with(at + "/")) && at.size() > best.size()) {
        best = at;
        auto hp = hostPaths_.find(m["name"].as<std::string>());
        node = hp == hostPaths_.end() ? "" : hp->second + path.substr(at.size());
        propagation = m["mountPropagation"] ? m["mountPropagation"].as<std::string>() : "";
      }
    }
    return {node, propagation};
  }

  YAML::Node doc_, pod_;
  std::map<std::string, std::string> hostPaths_;  // volume -> the node's path
};

TEST_F(Manifest, IsADaemonSetInKubeSystemOnEveryNodeInTheHostsNamespaces) {
  EXPECT_EQ(doc_["apiVersion"].as<std::string>(), "apps/v1");
  EXPECT_EQ(doc_["kind"].as<std::string>(), "DaemonSet");
  EXPECT_EQ(doc_["metadata"]["namespace"].as<std::string>(), "kube-system");
  auto selector = doc_["spec"]["selector"]["matchLabels"];
  for (const auto& l : selector)
    EXPECT_EQ(
        doc_["spec"]["template"]["metadata"]["labels"][l.first.as<std::string>()].as<std::string>(),
        l.second.as<std::string>());
  EXPECT_TRUE(pod_["hostNetwork"].as<bool>());
  EXPECT_TRUE(pod_["hostPID"].as<bool>()) << "netvrfd pins containers' processes by PID";
  EXPECT_EQ(pod_["priorityClassName"].as<std::string>(), "system-node-critical");
  bool everyTaint = false;
  for (const auto& t : pod_["tolerations"])
    everyTaint |= t["operator"].as<std::string>() == "Exists" && !t["key"] && !t["effect"];
  EXPECT_TRUE(everyTaint) << "it must run on every node, tainted or not";
  for (const char* list : {"containers", "initContainers"})
    for (const auto& c : pod_[list]) {
      SCOPED_TRACE(c["name"].as<std::string>());
      EXPECT_TRUE(c["securityContext"]["privileged"].as<bool>());
      EXPECT_EQ(c["image"].as<std::string>(),
                container("containers", "netvrfd")["image"].as<std::string>());
    }
}

TEST_F(Manifest, NetvrfdReachesEveryPathOfItsDefaultsOnTheNodeAndItsMountsReachTheNode) {
  auto d = container("containers", "netvrfd");
  EXPECT_EQ(d["command"][0].as<std::string>(), "/usr/sbin/netvrfd");
  std::ifstream in(std::string(NETVRF_SOURCE_DIR) + "/conf/netvrfd.json");
  auto conf = nlohmann::json::parse(in);
  // /var/run is /run in the image (Debian's symlink).
  auto real = [](std::string p) { return p.starts_with("/var/run/") ? p.substr(4) : p; };
  std::map<std::string, std::string> paths = {
      {"netns_dir", conf["netns_dir"]},
      {"state_dir", conf["state_dir"]},
      {"docker.socket", conf["docker"]["socket"]},
      {"podman socket", conf["docker"]["endpoints"][0]["socket"]},
      {"containerd.socket", conf["containerd"]["socket"]},
      {"vrf.table_file", conf["vrf"]["table_file"]},
      {"vrf.rt_tables_file", conf["vrf"]["rt_tables_file"]},
      {"vrf.requests_file", conf["vrf"]["requests_file"]},
      {"the system bus", "/run/dbus/system_bus_socket"}};
  for (const auto& [key, path] : paths) {
    SCOPED_TRACE(key + " " + path);
    EXPECT_EQ(nodePathOf(d, real(path)).first, real(path)) << "not the node's own path";
  }
  auto [node, propagation] = nodePathOf(d, real(conf["netns_dir"]));
  EXPECT_EQ(propagation, "Bidirectional") << "netvrfd's mounts would not reach the node";
  // The runtimes' namespaces mounted after it started must reach it (Docker's SandboxKey).
  for (std::string path : {"/run/docker/netns", "/run/containerd"}) {
    auto [runtimeNode, runtimePropagation] = nodePathOf(d, path);
    EXPECT_NE(runtimePropagation, "") << path << ": the node's later mounts would not reach it";
  }
}

TEST_F(Manifest, TheNodeSetUpWritesTheNodesCniAndBusDirectories) {
  auto s = container("initContainers", "node-setup");
  std::string command = s["command"][0].as<std::string>();
  EXPECT_EQ(command, "/usr/lib/netvrf/node-setup") << "where the package installs it";
  std::string host;
  for (const auto& e : s["env"])
    if (e["name"].as<std::string>() == "HOST") host = e["value"].as<std::string>();
  ASSERT_FALSE(host.empty());
  for (std::string path :
       {"/opt/cni/bin", "/etc/cni/net.d", "/opt/netvrf", "/etc/dbus-1/system.d"}) {
    SCOPED_TRACE(path);
    EXPECT_EQ(nodePathOf(s, host + path).first, path);
  }
  EXPECT_EQ(nodePathOf(s, "/run/dbus/system_bus_socket").first, "/run/dbus/system_bus_socket");
  // The script names the same defaults.
  std::ifstream script(std::string(NETVRF_SOURCE_DIR) + "/deploy/kubernetes/node-setup");
  std::string text(std::istreambuf_iterator<char>(script), {});
  for (const char* d : {"CNI_BIN_DIR:-/opt/cni/bin", "CNI_CONF_DIR:-/etc/cni/net.d",
                        "bundle=/opt/netvrf", "HOST:-/host"})
    EXPECT_NE(text.find(d), std::string::npos) << d;
}

TEST_F(Manifest, EveryMountHasItsVolumeAndEveryVolumeIsUsed) {
  std::set<std::string> volumes, used;
  for (const auto& v : pod_["volumes"]) volumes.insert(v["name"].as<std::string>());
  for (const char* list : {"containers", "initContainers"})
    for (const auto& c : pod_[list])
      for (const auto& m : c["volumeMounts"]) {
        std::string name = m["name"].as<std::string>();
        EXPECT_TRUE(volumes.count(name)) << name;
        used.insert(name);
      }
  EXPECT_EQ(used, volumes);
}

}  // namespace
