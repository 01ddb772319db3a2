#pragma once

// What the CNI plugin's tests share (cni_plugin_test.cpp, cni_delegation_test.cpp): a pod's
// namespace made by the test, a bridge + host-local + netvrf conflist run by
// tests/support/cni_runner.hpp, and in the VM unmodified programs talking through the VRF.
#include <arpa/inet.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "cni_runner.hpp"
#include "harness.hpp"
#include "netlink/in_netns.hpp"

namespace netvrf::test {

using nlohmann::json;

inline std::optional<std::string> missingCniPlugins() {
  if (auto r = missingRoot()) return r;
  if (!std::filesystem::exists(std::string(kDebianCniDir) + "/bridge"))
    return std::string("no CNI plugins in ") + kDebianCniDir +
           " (apt-get install containernetworking-plugins)";
  return std::nullopt;
}

inline std::string sh(const std::string& command) {
  return run({"sh", "-c", command}).out;
}

// A pod's namespace, a bridge for it, and a place for host-local's leases and the table files.
class CniFixture : public ::testing::Test {
 protected:
  void SetUp() override {
    NETVRF_REQUIRE(missingCniPlugins());
    static int n = 0;
    std::string id = std::to_string(getpid() % 100000) + "-" + std::to_string(n++);
    nsName_ = "nvcni" + id;
    bridge_ = "nvcb" + id;
    ASSERT_EQ(run({"ip", "netns", "add", nsName_}).status, 0);
    netns_ = "/var/run/netns/" + nsName_;
    inv_.netns = netns_;
    inv_.containerId = "nvcni-" + id;
    // Never the machine's own bus: with no netvrfd on it, "daemon": "preferred" (the default)
    // does the work in the plugin. The delegation tests name their private bus.
    inv_.env = {"DBUS_SYSTEM_BUS_ADDRESS=unix:path=/nonexistent/netvrf-test-bus"};
  }
  void TearDown() override {
    if (!nsName_.empty()) run({"ip", "netns", "del", nsName_});
    if (!bridge_.empty()) run({"ip", "link", "del", bridge_});
  }

  // bridge + host-local (IPv4, and IPv6 when asked), then netvrf with `netvrf`'s keys.
  json conflist(const json& netvrf, bool ipv6 = false, bool gateway = false,
                const std::string& version = "1.0.0") {
    json ranges =
        json::array({json::array({{{"subnet", "192.0.2.0/24"}, {"gateway", "192.0.2.1"}}})});
    json routes =
        json::array({{{"dst", "0.0.0.0/0"}}, {{"dst", "198.51.100.0/24"}, {"gw", "192.0.2.254"}}});
    if (ipv6) {
      ranges.push_back(
          json::array({{{"subnet", "2001:db8:1::/64"}, {"gateway", "2001:db8:1::1"}}}));
      routes.push_back({{"dst", "::/0"}});
    }
    json plugin = netvrf;
    plugin["type"] = "netvrf";
    plugin["table_file"] = dir_.path() + "/tables.json";
    plugin["rt_tables_file"] = dir_.path() + "/rt_tables.conf";
    plugin["capabilities"] = {{"io.kubernetes.cri.pod-annotations", true}};
    return {{"cniVersion", version},
            {"name", "nvcni"},
            {"plugins",
             {{{"type", "bridge"},
               {"bridge", bridge_},
               {"isGateway", gateway},
               {"ipam",
                {{"type", "host-local"},
                 {"dataDir", dir_.path() + "/ipam"},
                 {"ranges", ranges},
                 {"routes", routes}}}},
              plugin}}};
  }
  CniChain chain(const json& list) { return CniChain(list, {netvrfPluginDir(), kDebianCniDir}); }
  // The list's first plugin alone (bridge with host-local): the pod as netvrf finds it.
  static CniChain bridgeOf(const json& list) {
    return CniChain(json{{"cniVersion", list["cniVersion"]},
                         {"name", list["name"]},
                         {"plugins", {list["plugins"][0]}}},
                    {kDebianCniDir});
  }

  // What the namespace looks like, for "nothing changed".
  std::string state() {
    return sh("ip -n " + nsName_ + " -d -o link | sed 's/ state [A-Z]*//'; ip -n " + nsName_ +
              " route show table all; ip -n " + nsName_ + " rule; ip netns exec " + nsName_ +
              " sysctl net.ipv4.tcp_l3mdev_accept net.ipv4.udp_l3mdev_accept");
  }
  // bridge's ADD alone, then netvrf's on its result: the namespace as bridge left it (`before`)
  // and what netvrf said.
  struct Step {
    CniCall bridge;
    std::string before;
    CniCall netvrf;
  };
  // `plugins`: where netvrf is found (a wrapper of the test's), the build's by default.
  Step netvrfAfterBridge(const json& list, const std::string& plugins = netvrfPluginDir()) {
    Step s;
    s.bridge = bridgeOf(list).add(inv_);
    if (!s.bridge.ok()) return s;
    s.before = state();
    CniChain c(list, {plugins, kDebianCniDir});
    s.netvrf = c.call("ADD", c.configFor(1, s.bridge.out, {}), inv_);
    return s;
  }
  std::string tablesFile() {
    std::ifstream in(dir_.path() + "/tables.json");
    return std::string(std::istreambuf_iterator<char>(in), {});
  }

  TempDir dir_;
  std::string nsName_, netns_, bridge_;
  CniInvocation inv_;
};

// With real VRFs (the VM).

class CniKernel : public CniFixture {
 protected:
  void SetUp() override {
    NETVRF_REQUIRE(missingVrf());
    CniFixture::SetUp();
  }
  Fd nsFd() { return Fd(open(netns_.c_str(), O_RDONLY | O_CLOEXEC)); }
  std::string in(const std::string& command) { return sh("ip -n " + nsName_ + " " + command); }
  std::string vrfs() { return in("-o link show type vrf"); }
  // netvrf's CHECK with the chain's result. (The chain's whole CHECK stops at bridge's: it
  // looks for its routes in the main table, and they are in the VRF's now. README.)
  CniCall checkNetvrf(CniChain& c, const CniInvocation& inv) {
    return c.call("CHECK", c.configFor(1, c.result(), inv.runtimeConfig), inv);
  }
};

// A TCP listener on `port` (any address) inside `ns`: an unmodified server, bound to no VRF.
inline Fd listenIn(int ns, const std::string& address, uint16_t port) {
  return runInNetns(ns, [&] {
    Fd s(socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
    int on = 1;
    setsockopt(s.get(), SOL_SOCKET, SO_REUSEADDR, &on, sizeof on);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(port);
    inet_pton(AF_INET, address.c_str(), &a.sin_addr);
    if (bind(s.get(), reinterpret_cast<sockaddr*>(&a), sizeof a) < 0 || listen(s.get(), 4) < 0)
      throw std::runtime_error("cannot listen on " + address);
    return s;
  });
}

// Connects from inside `ns` (an unmodified client: no SO_BINDTODEVICE) and says one byte; true
// when the listener got it.
inline bool talk(int ns, const Fd& listener, const std::string& address, uint16_t port) {
  Fd client = runInNetns(ns, [&] {
    Fd c(socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
    timeval tv{3, 0};
    setsockopt(c.get(), SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(port);
    inet_pton(AF_INET, address.c_str(), &a.sin_addr);
    if (connect(c.get(), reinterpret_cast<sockaddr*>(&a), sizeof a) < 0) return Fd();
    return c;
  });
  if (!client || write(client.get(), "x", 1) != 1) return false;
  timeval tv{3, 0};
  setsockopt(listener.get(), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  Fd conn(accept4(listener.get(), nullptr, nullptr, SOCK_CLOEXEC));
  if (!conn) return false;
  setsockopt(conn.get(), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  char c = 0;
  return read(conn.get(), &c, 1) == 1 && c == 'x';
}

}  // namespace netvrf::test
