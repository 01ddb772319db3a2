// Podman with its CNI backend on a network whose conflist chains netvrf after Debian's bridge and
// host-local: what a user of Podman without netavark writes to put containers into a VRF. The
// test's podman runs on the test Podman service's storage (its image is there) with a
// containers.conf of the test's, which names the conflist's directory and netvrf's.
// PodmanCni.* on the host (no VRF support: the container does not start, with the plugin's
// message), PodmanCniKernel.* in the VM (RuntimeVrfKernel.vm).
#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>

#include "cni_runner.hpp"
#include "harness.hpp"

namespace netvrf::test {
namespace {

using nlohmann::json;

std::optional<std::string> missingPodmanStorage() {
  for (const char* var : {"NETVRF_TEST_PODMAN_ROOT", "NETVRF_TEST_PODMAN_RUNROOT"})
    if (!std::getenv(var) || !*std::getenv(var))
      return std::string("needs the test Podman service's storage (") + var +
             " unset); run it through scripts/test";
  return std::nullopt;
}

class PodmanCni : public ::testing::Test {
 protected:
  void SetUp() override {
    NETVRF_REQUIRE(missingPodman());
    NETVRF_REQUIRE(missingPodmanStorage());
    if (!std::filesystem::exists(std::string(kDebianCniDir) + "/bridge"))
      GTEST_SKIP() << "no CNI plugins in " << kDebianCniDir
                   << " (apt-get install containernetworking-plugins)";
    bridge_ = "nvpc" + std::to_string(getpid() % 100000);
    std::ofstream(dir_.path() + "/containers.conf")
        << "[containers]\n"
           "default_ulimits = [\"nofile=1024:1024\", \"nproc=1024:1024\"]\n"
           "[engine]\n"
           "cgroup_manager = \"cgroupfs\"\n"
           "events_logger = \"file\"\n"
           "events_logfile_path = \""
        << dir_.path()
        << "/events.log\"\n"
           "[network]\n"
           "network_backend = \"cni\"\n"
           "network_config_dir = \""
        << dir_.path() << "\"\ncni_plugin_dirs = [\"" << netvrfPluginDir() << "\", \""
        << kDebianCniDir << "\"]\n";
    json list = {
        {"cniVersion", "1.0.0"},
        {"name", network_},
        {"plugins",
         {{{"type", "bridge"},
           {"bridge", bridge_},
           {"isGateway", true},
           {"ipMasq", false},
           {"ipam",
            {{"type", "host-local"},
             {"dataDir", dir_.path() + "/ipam"},
             {"routes", {{{"dst", "0.0.0.0/0"}}}},
             {"ranges", {{{{"subnet", "203.0.113.224/28"}, {"gateway", "203.0.113.225"}}}}}}}},
          {{"type", "netvrf"},
           {"vrf", "red"},
           {"table_file", dir_.path() + "/tables.json"},
           {"rt_tables_file", dir_.path() + "/rt_tables.conf"}}}}};
    std::ofstream(dir_.path() + "/" + network_ + ".conflist") << list.dump(2);
  }
  void TearDown() override {
    if (!bridge_.empty()) run({"ip", "link", "del", bridge_});
  }

  // podman with the test's containers.conf. The plugin finds no netvrfd (a bus that is not
  // there) and does the work itself.
  Result podman(std::vector<std::string> args) {
    std::vector<std::string> argv{"env",
                                  "CONTAINERS_CONF=" + dir_.path() + "/containers.conf",
                                  "DBUS_SYSTEM_BUS_ADDRESS=unix:path=/nonexistent/netvrf-test-bus",
                                  "podman",
                                  "--root",
                                  std::getenv("NETVRF_TEST_PODMAN_ROOT"),
                                  "--runroot",
                                  std::getenv("NETVRF_TEST_PODMAN_RUNROOT")};
    argv.insert(argv.end(), args.begin(), args.end());
    return run(argv);
  }
  // `podman run --rm` of `command` on the network; the image is the service's.
  Result runOnNetwork(const std::string& name, std::vector<std::string> command) {
    std::vector<std::string> args{
        "run",       "--rm",   "--name",       name,
        "--network", network_, "--pull=never", "localhost/" + testImage()};
    args.insert(args.end(), command.begin(), command.end());
    return podman(args);
  }
  // Host-local's leases: one file per address handed out.
  int leases() {
    int n = 0;
    std::error_code ec;
    for (const auto& e : std::filesystem::directory_iterator(dir_.path() + "/ipam/" + network_, ec))
      if (e.path().filename().string().starts_with("203.0.113.")) ++n;
    return n;
  }

  TempDir dir_;
  std::string network_ = "nvpcni", bridge_;
};

using PodmanCniKernel = PodmanCni;

TEST_F(PodmanCni, WithoutVrfSupportTheContainerDoesNotStartAndSaysWhy) {
  NETVRF_REQUIRE(missingVrfFreeKernel());
  std::string before = run({"ip", "-o", "link"}).out;
  Result r = runOnNetwork("nvpcnofail", {"true"});
  EXPECT_NE(r.status, 0) << r.out;
  EXPECT_NE(r.out.find("cni plugin netvrf failed: attach to VRF red: create VRF red (table 1001) "
                       "failed: VRF red: this kernel has no VRF support (CONFIG_NET_VRF); rolled "
                       "back"),
            std::string::npos)
      << r.out;
  EXPECT_NE(podman({"container", "exists", "nvpcnofail"}).status, 0) << "the container stayed";
  EXPECT_EQ(leases(), 0) << "its address stayed handed out";
}

// The container's first process finds its interface in red, the default route in red's table
// (1001, the first free one) and the rule that sends its unbound sockets there: the VRF was there
// before it started. When it ends, Podman's DEL gives its address back.
TEST_F(PodmanCniKernel, AContainerIsInItsVrfBeforeItsProcessStarts) {
  Result r = runOnNetwork("nvpcred", {"sh", "-c",
                                      "ip -o link show eth0; ip route show table 1001; "
                                      "ip rule; cat /proc/sys/net/ipv4/tcp_l3mdev_accept"});
  ASSERT_EQ(r.status, 0) << r.out;
  EXPECT_NE(r.out.find("master red"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("default via 203.0.113.225 dev eth0"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("2000:\tfrom all lookup 1001"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("\n1\n"), std::string::npos) << r.out;
  EXPECT_EQ(leases(), 0) << "Podman's DEL did not give the address back";
  EXPECT_NE(podman({"container", "exists", "nvpcred"}).status, 0);
}

}  // namespace
}  // namespace netvrf::test
