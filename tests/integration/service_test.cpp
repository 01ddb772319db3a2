// netvrfd as a service: the sd_notify protocol, the watchdog, signals, start-up errors.
// Needs root (netvrfd mounts); Docker is deliberately absent here.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/un.h>

#include <filesystem>
#include <map>
#include <fstream>
#include <thread>

#include "harness.hpp"
#include "netns/ownership.hpp"
#include "threads.hpp"

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

// No runtime there: its watchers wait for the sockets to appear, with no timer, and without
// containerd there is no gRPC channel (whose timer threads wake about once a second), so no
// thread of netvrfd's, its own or a library's, wakes while nothing happens.
TEST(Service, AnAbsentRuntimeCostsNoWakeups) {
  NETVRF_REQUIRE(missingRoot());
  TempDir dir;
  Netvrfd d(R"({"docker": {"socket": ")" + dir.path() + R"(/docker/docker.sock", "endpoints": [
                  {"name": "podman", "socket": ")" + dir.path() + R"(/podman.sock"}]},
                "containerd": {"socket": ")" + dir.path() + R"(/containerd/containerd.sock"}})");
  ASSERT_TRUE(d.startReady()) << d.log();
  ASSERT_TRUE(waitUntil([&] { return threadSwitches(d.pid(), "nv-").size() >= 4; }, 10s))
      << "netvrfd's threads are not named nv-*";
  std::this_thread::sleep_for(1s);  // the first attempts end
  auto before = threadSwitches(d.pid());
  std::this_thread::sleep_for(3s);
  auto after = threadSwitches(d.pid());
  std::string woke;
  for (const auto& [name, n] : after)
    if (!before.count(name) || n != before[name])  // a thread started meanwhile woke too
      woke += " " + name + ": " + std::to_string(n - before[name]);
  EXPECT_EQ(woke, "") << "woke in 3 s of nothing happening";
  EXPECT_EQ(d.stop(), 0) << d.log();
}

// No system bus yet (dbus-daemon starts after netvrfd, or is not installed): netvrfd waits for
// its socket with inotify, not on its retry timer, and serves the API as soon as it is there.
TEST(Service, TheSystemBusIsJoinedAsSoonAsItsSocketAppears) {
  NETVRF_REQUIRE(missingRoot());
  SystemBus bus;
  TempDir dir;
  std::string later = dir.path() + "/run/dbus/system_bus_socket";
  Netvrfd d(kNoDocker, {"DBUS_SYSTEM_BUS_ADDRESS=unix:path=" + later});
  ASSERT_TRUE(d.startReady()) << d.log();
  // Long enough for the timer's delay to have grown to 8 s (1, 2, 4, 8).
  std::this_thread::sleep_for(8s);
  EXPECT_EQ(netvrfctl(bus, {"list"}).status, 1);  // not on the bus
  std::filesystem::create_directories(dir.path() + "/run/dbus");
  std::string real = bus.env().substr(bus.env().find("unix:path=") + 10);
  auto t0 = std::chrono::steady_clock::now();
  std::filesystem::create_symlink(real, later);
  ASSERT_TRUE(waitUntil([&] { return netvrfctl(bus, {"list"}).status == 0; }, 20s)) << d.log();
  EXPECT_LT(std::chrono::steady_clock::now() - t0, 3s) << d.log();
  EXPECT_EQ(d.stop(), 0) << d.log();
}

// A socket that takes connections and never answers (a socket-activated Podman whose service
// hangs): netvrfd becomes ready anyway, says why in one line, and keeps trying.
TEST(Service, AnEngineThatNeverAnswersDoesNotHoldUpReadiness) {
  NETVRF_REQUIRE(missingRoot());
  TempDir dir;
  std::string path = dir.path() + "/podman.sock";
  Fd listener(socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::snprintf(addr.sun_path, sizeof addr.sun_path, "%s", path.c_str());
  ASSERT_EQ(bind(listener.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  ASSERT_EQ(listen(listener.get(), 64), 0);  // connections queue; none is ever answered
  Netvrfd d(R"({"docker": {"socket": ")" + dir.path() + R"(/docker.sock", "endpoints": [
                  {"name": "podman", "socket": ")" + path + R"("}]},
                "containerd": {"enabled": false}})");
  d.start();
  auto ready = d.waitNotify("READY=1", 30s);
  ASSERT_TRUE(ready) << d.log();
  EXPECT_NE(ready->find("podman not reachable"), std::string::npos) << *ready;
  EXPECT_NE(d.log().find("podman: not reachable (" + path + ": no answer within 10 s)"),
            std::string::npos)
      << d.log();
  EXPECT_EQ(d.stop(), 0) << d.log();
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
