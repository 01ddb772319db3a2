// netvrf's image (deploy/kubernetes/build-image; the Image.build test makes it) run as the
// DaemonSet (deploy/kubernetes/netvrf.yaml) runs it, with the manifest's mounts, in the host's
// network and PID namespaces, beside the test dockerd: netvrfd in its container must make a
// container started on the host visible to the host's `ip netns`, and its container stopping
// must leave nothing broken.
#include <gtest/gtest.h>
#include <unistd.h>
#include <yaml-cpp/yaml.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "harness.hpp"

namespace netvrf::test {
namespace {

std::string image() {
  const char* i = std::getenv("NETVRF_TEST_NETVRF_IMAGE");
  return i ? i : "netvrf-test/netvrf:latest";
}

struct Mount {
  std::string node;  // the hostPath
  std::string at;
  std::string propagation;  // "", "HostToContainer", "Bidirectional"
};

// The netvrfd container's mounts, as the manifest gives them.
std::vector<Mount> daemonSetMounts() {
  auto doc = YAML::LoadFile(std::string(NETVRF_SOURCE_DIR) + "/deploy/kubernetes/netvrf.yaml");
  auto pod = doc["spec"]["template"]["spec"];
  std::map<std::string, std::string> hostPaths;
  for (const auto& v : pod["volumes"])
    hostPaths[v["name"].as<std::string>()] = v["hostPath"]["path"].as<std::string>();
  std::vector<Mount> out;
  for (const auto& c : pod["containers"])
    if (c["name"].as<std::string>() == "netvrfd")
      for (const auto& m : c["volumeMounts"])
        out.push_back({hostPaths.at(m["name"].as<std::string>()), m["mountPath"].as<std::string>(),
                       m["mountPropagation"] ? m["mountPropagation"].as<std::string>() : ""});
  return out;
}

TEST(Image, NetvrfdInTheDaemonSetsContainerRegistersTheHostsContainersAndStopsCleanly) {
  NETVRF_REQUIRE(missingDocker());
  Docker docker;
  ASSERT_EQ(docker.cli({"image", "inspect", image()}).status, 0)
      << "no image " << image()
      << ": the Image.build test makes it (deploy/kubernetes/build-image)";
  TempDir dir;
  // What the test changes of the DaemonSet: the test dockerd's socket (a configuration file),
  // a state directory of its own and its tables in a temporary directory, not the node's.
  std::string stateDir = "/run/netvrf-imagetest-" + std::to_string(getpid());
  nlohmann::json config = {
      {"docker", {{"socket", dockerSock()}, {"endpoints", nlohmann::json::array()}}},
      {"containerd", {{"enabled", false}}},
      {"state_dir", stateDir}};
  std::ofstream(dir.path() + "/netvrfd.json") << config.dump();
  std::filesystem::create_directories(dir.path() + "/lib");
  std::filesystem::create_directories(dir.path() + "/rt_tables.d");
  std::string name = docker.uniqueName("netvrfd");
  // privileged: true, as the capabilities netvrfd's unit keeps (this host's bounding set lacks
  // CAP_SYS_RESOURCE, which --privileged asks for), unconfined as privileged containers are.
  std::vector<std::string> argv{"run",
                                "-d",
                                "--name",
                                name,
                                "--net=host",
                                "--pid=host",
                                "--cap-add",
                                "SYS_ADMIN",
                                "--cap-add",
                                "NET_ADMIN",
                                "--cap-add",
                                "SYS_PTRACE",
                                "--security-opt",
                                "apparmor=unconfined",
                                "--security-opt",
                                "seccomp=unconfined"};
  auto mounts = daemonSetMounts();
  ASSERT_FALSE(mounts.empty());
  for (const auto& m : mounts) {
    std::string node = m.node == "/var/lib/netvrf"             ? dir.path() + "/lib"
                       : m.node == "/etc/iproute2/rt_tables.d" ? dir.path() + "/rt_tables.d"
                                                               : m.node;
    // Kubernetes' propagation modes as Docker names them.
    std::string mode = m.propagation == "Bidirectional"     ? ":rshared"
                       : m.propagation == "HostToContainer" ? ":rslave"
                                                            : "";
    argv.insert(argv.end(), {"-v", node + ":" + m.at + mode});
  }
  argv.insert(argv.end(),
              {"-v", dir.path() + "/netvrfd.json:/etc/netvrf/netvrfd.json:ro", image()});
  struct Removed {
    Docker& d;
    std::string name, state;
    ~Removed() {
      d.cli({"rm", "-f", name});
      std::filesystem::remove_all(state);
    }
  } removed{docker, name, stateDir};
  // A container takes the host's /run with propagation only when the mount holding it is
  // shared, as systemd makes every mount of a node at boot; a machine without systemd as PID 1
  // leaves / private. Made shared (/ alone) for this test, private again after it.
  struct SharedRoot {
    bool changed = false;
    SharedRoot() {
      if (run({"findmnt", "-no", "PROPAGATION", "/"}).out == "private\n")
        changed = run({"mount", "--make-shared", "/"}).status == 0;
    }
    ~SharedRoot() {
      if (changed) run({"mount", "--make-private", "/"});
    }
  } sharedRoot;
  Result started = docker.cli(argv);
  ASSERT_EQ(started.status, 0) << started.out;
  auto logs = [&] { return docker.cli({"logs", name}).out; };
  ASSERT_TRUE(waitUntil([&] { return logs().find("netvrfd: ready") != std::string::npos; }))
      << logs();

  // A container started on the host: its entry is the host's.
  std::string web = docker.uniqueName("imgweb");
  docker.runDetached(web, {}, {"sleep", "300"});
  ASSERT_TRUE(waitUntil([&] { return ipNetnsLists(web); })) << logs();
  auto ns = docker.ns(web);
  ASSERT_TRUE(ns);
  EXPECT_EQ(entryNs(web), ns) << "the host's entry is not the container's namespace";

  // netvrfd's container stops: the entry keeps working for ip netns.
  ASSERT_EQ(docker.cli({"stop", name}).status, 0);
  EXPECT_EQ(docker.inspect(name, "{{.State.ExitCode}}"), "0") << logs();
  EXPECT_EQ(entryNs(web), ns) << "the entry went with netvrfd's container";
  EXPECT_EQ(run({"ip", "netns", "exec", web, "true"}).status, 0);

  // The container goes while netvrfd is away; its next start clears the entry.
  docker.remove(web);
  ASSERT_EQ(docker.cli({"start", name}).status, 0);
  EXPECT_TRUE(waitUntil([&] { return !entryExists(web); })) << logs();
  EXPECT_NE(logs().find("removed stale entry"), std::string::npos) << logs();
}

}  // namespace
}  // namespace netvrf::test
