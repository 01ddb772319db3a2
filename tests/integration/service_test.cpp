// netvrfd as a service: the sd_notify protocol, the watchdog, signals, start-up errors.
// Needs root (netvrfd mounts); Docker is deliberately absent here.
#include <gtest/gtest.h>
#include <signal.h>

#include <filesystem>
#include <fstream>
#include <thread>

#include "harness.hpp"
#include "netns/ownership.hpp"

namespace netvrf::test {
namespace {

using namespace std::chrono_literals;

// A netvrfd on a host without Docker: must start, say so, and be ready.
const char* kNoDocker =
    R"({"docker": {"socket": "/run/netvrf-test-absent/docker.sock"}, "containerd": {"enabled": false}})";

TEST(Service, ReadyWithStatusWithoutDockerAndCleanExitOnSigterm) {
  NETVRF_REQUIRE(missingRoot());
  Netvrfd d(kNoDocker);
  d.start();
  auto ready = d.waitNotify("READY=1", 10s);
  ASSERT_TRUE(ready) << d.log();
  EXPECT_NE(ready->find("STATUS=0 namespaces registered; docker not reachable"), std::string::npos)
      << *ready;
  EXPECT_NE(d.log().find("docker: not reachable (/run/netvrf-test-absent/docker.sock: no such "
                         "socket; is dockerd running?)"),
            std::string::npos)
      << d.log();
  d.signal(SIGTERM);
  EXPECT_TRUE(d.waitNotify("STOPPING=1", 5s));
  EXPECT_EQ(d.wait(), 0) << d.log();
}

// Absent for a while (several reconnect attempts), then there: said once, and found by the
// attempts that kept going meanwhile. The socket appears as a link to the test dockerd's.
TEST(Service, SaysOnceThatDockerIsAbsentAndFindsItWhenItComes) {
  NETVRF_REQUIRE(missingDocker());
  TempDir dir;
  std::string socket = dir.path() + "/docker.sock";
  Netvrfd d(R"({"docker": {"socket": ")" + socket + R"("}, "containerd": {"enabled": false}})");
  ASSERT_TRUE(d.startReady()) << d.log();
  std::this_thread::sleep_for(3s);  // absent through several reconnect attempts
  std::filesystem::create_symlink(dockerSock(), socket);
  EXPECT_TRUE(waitUntil([&] { return d.log().find("docker: connected to") != std::string::npos; },
                        20s))
      << d.log();
  std::string log = d.log();
  size_t first = log.find("docker: not reachable");
  ASSERT_NE(first, std::string::npos) << log;
  EXPECT_EQ(log.find("docker: not reachable", first + 1), std::string::npos) << log;
}

TEST(Service, PingsTheWatchdogWhenAsked) {
  NETVRF_REQUIRE(missingRoot());
  Netvrfd d(kNoDocker, {"WATCHDOG_USEC=400000"});  // no WATCHDOG_PID: any PID may ping
  ASSERT_TRUE(d.startReady()) << d.log();
  EXPECT_TRUE(d.waitNotify("WATCHDOG=1", 2s)) << d.log();
  EXPECT_TRUE(d.waitNotify("WATCHDOG=1", 2s)) << d.log();
}

TEST(Service, BadConfigurationIsOneLineNamingTheKeyAndChangesNothing) {
  NETVRF_REQUIRE(missingRoot());
  Netvrfd d(R"({"docker": {"sockt": "/x"}, "state_dir": "/run/netvrf-test-never-created"})");
  d.start();
  EXPECT_EQ(d.wait(), 1);
  std::string log = d.log();
  EXPECT_NE(log.find("unknown key 'docker.sockt'"), std::string::npos) << log;
  EXPECT_EQ(std::count(log.begin(), log.end(), '\n'), 1) << log;
  EXPECT_FALSE(std::filesystem::exists("/run/netvrf-test-never-created"));
}

TEST(Service, StaleEntryOfAPreviousRunIsCollectedAtStart) {
  NETVRF_REQUIRE(missingRoot());
  // A previous netvrfd registered a process that exited while no netvrfd ran: simulate with
  // a child process in a namespace of its own.
  Result unshare = run({"ip", "netns", "add", "nvt-stale-src"});
  ASSERT_EQ(unshare.status, 0) << unshare.out;
  std::string entry = "nvt" + std::to_string(getpid()) + "-stale";
  Netvrfd d(kNoDocker);
  {
    OwnershipStore store(d.stateDir());
    store.prepare();
    // The namespace mounted as `entry` belongs to no running process; its record names a PID
    // that is long gone (start time 1).
    ASSERT_EQ(run({"sh", "-c",
                   "touch /var/run/netns/" + entry +
                       " && mount --bind /var/run/netns/nvt-stale-src /var/run/netns/" + entry})
                  .status,
              0);
    OwnershipRecord rec{entry, "docker", "deadbeef0000", "stale", 1, 1, *entryNs(entry)};
    store.save(rec);
  }
  run({"ip", "netns", "del", "nvt-stale-src"});
  ASSERT_TRUE(d.startReady()) << d.log();
  EXPECT_FALSE(entryExists(entry)) << d.log();
  EXPECT_FALSE(isMounted(netnsPath(entry)));
  EXPECT_NE(d.log().find("removed stale entry /var/run/netns/" + entry), std::string::npos)
      << d.log();
}

}  // namespace
}  // namespace netvrf::test
