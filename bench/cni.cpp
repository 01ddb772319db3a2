// bench/cni: what a pod's ADD and DEL cost at the end of a real chain, and what routes the pod
// keeps: Debian's bridge + host-local, then one of
//   - netvrf, the plugin doing the work itself ("daemon": "never");
//   - netvrf handing it to a running netvrfd over a private system bus ("daemon": "required");
//   - Debian's CNI vrf plugin, the alternative (containernetworking-plugins 1.1.1).
// Each pod is a fresh namespace; bridge's ADD makes its eth0 with IPv4 and IPv6 addresses, a
// default route for each family and one more IPv4 route through another gateway. The last
// plugin's ADD and DEL are timed as a runtime sees them (exec, config on stdin, result, exit);
// the routes the pod keeps are counted in the VRF's table after the ADD (the gateways' routes:
// the connected ones the kernel moves by itself). The methods run interleaved, one pod each in
// turn, so a slow phase of the VM hits them alike.
//
// Needs root and a kernel with VRF support: run it through `scripts/bench cni [N]`, which runs
// it in the test VM.
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <vector>

#include "cni_runner.hpp"
#include "harness.hpp"
#include "percentiles.hpp"

namespace {

using netvrf::test::CniCall;
using netvrf::test::CniChain;
using netvrf::test::CniInvocation;
using netvrf::test::run;
using nlohmann::json;
using Clock = std::chrono::steady_clock;

constexpr int kMaxN = 200;  // host-local's /24 hands out 253 addresses per range

double msSince(Clock::time_point t) {
  return std::chrono::duration<double, std::milli>(Clock::now() - t).count();
}

struct Method {
  std::string name;
  json plugin;                   // the last plugin's configuration
  std::vector<std::string> env;  // for the plugins (the bus)
  std::vector<double> addMs, delMs;
  std::vector<int> kept;
  int failures = 0;
  std::string firstFailure;
};

// The routes via a gateway in `ns`'s table `table` (IPv4 and IPv6).
int gatewayRoutes(const std::string& ns, const std::string& table) {
  int n = 0;
  for (const char* family : {"-4", "-6"}) {
    json routes = json::parse(
        run({"ip", "-n", ns, "-j", family, "route", "show", "table", table}).out, nullptr, false);
    if (routes.is_array())
      for (const auto& r : routes)
        if (r.contains("gateway") || r.contains("nexthops")) ++n;
  }
  return n;
}

json chainFor(const Method& m, const std::string& dir) {
  json bridge = {{"type", "bridge"},
                 {"bridge", "nvbench0"},
                 {"ipam",
                  {{"type", "host-local"},
                   {"dataDir", dir + "/ipam"},
                   {"ranges",
                    {{{{"subnet", "192.0.2.0/24"}, {"gateway", "192.0.2.1"}}},
                     {{{"subnet", "2001:db8:1::/64"}, {"gateway", "2001:db8:1::1"}}}}},
                   {"routes",
                    {{{"dst", "0.0.0.0/0"}},
                     {{"dst", "198.51.100.0/24"}, {"gw", "192.0.2.254"}},
                     {{"dst", "::/0"}}}}}}};
  return {{"cniVersion", "1.0.0"}, {"name", "bench"}, {"plugins", {bridge, m.plugin}}};
}

// One pod through method `m`: a namespace, bridge's ADD, the measured ADD and DEL, and away.
void runOne(Method& m, size_t k, int i, bool measure, const std::string& dir) {
  std::string ns = "nvbench" + std::to_string(k) + "-" + std::to_string(i);
  run({"ip", "netns", "add", ns});
  CniInvocation inv;
  inv.containerId = ns;
  inv.netns = "/var/run/netns/" + ns;
  inv.args = "IgnoreUnknown=1;K8S_POD_NAMESPACE=bench;K8S_POD_NAME=" + ns;
  inv.env = m.env;
  CniChain chain(chainFor(m, dir), {netvrf::test::netvrfPluginDir(), netvrf::test::kDebianCniDir});
  CniChain bridgeOnly(json{{"cniVersion", "1.0.0"},
                           {"name", "bench"},
                           {"plugins", {chainFor(m, dir)["plugins"][0]}}},
                      {netvrf::test::kDebianCniDir});
  CniCall b = bridgeOnly.add(inv);
  auto fail = [&](const std::string& what, const CniCall& c) {
    ++m.failures;
    if (m.firstFailure.empty()) m.firstFailure = what + ": " + c.stdoutText + c.stderrText;
  };
  if (!b.ok()) {
    fail("bridge ADD", b);
  } else {
    auto t = Clock::now();
    CniCall a = chain.call("ADD", chain.configFor(1, b.out, {}), inv);
    double add = msSince(t);
    if (!a.ok()) fail("ADD", a);
    int kept = gatewayRoutes(ns, "1001");
    t = Clock::now();
    CniCall d = chain.call("DEL", chain.configFor(1, a.ok() ? a.out : b.out, {}), inv);
    double del = msSince(t);
    if (!d.ok()) fail("DEL", d);
    if (measure && a.ok() && d.ok()) {
      m.addMs.push_back(add);
      m.delMs.push_back(del);
      m.kept.push_back(kept);
    }
    bridgeOnly.del(inv);
  }
  run({"ip", "netns", "del", ns});
}

}  // namespace

int main(int argc, char** argv) {
  int n = 50;
  if (argc > 2 || (argc == 2 && (std::atoi(argv[1]) < 1 || std::atoi(argv[1]) > kMaxN))) {
    std::fprintf(stderr, "usage: bench_cni [N]   (1 <= N <= %d, default 50)\n", kMaxN);
    return 2;
  }
  if (argc == 2) n = std::atoi(argv[1]);
  if (auto why = netvrf::test::missingVrf()) {
    std::fprintf(stderr, "bench/cni: %s; run it through scripts/bench cni\n", why->c_str());
    return 2;
  }
  for (const char* p : {"bridge", "host-local", "vrf"})
    if (access((std::string(netvrf::test::kDebianCniDir) + "/" + p).c_str(), X_OK) != 0) {
      std::fprintf(stderr, "bench/cni: no %s/%s (package containernetworking-plugins)\n",
                   netvrf::test::kDebianCniDir, p);
      return 2;
    }
  netvrf::test::TempDir dir;
  // netvrfd for the delegated method: its own bus, no runtimes to watch.
  auto bus = std::make_unique<netvrf::test::SystemBus>();
  auto netvrfd = std::make_unique<netvrf::test::Netvrfd>(
      R"({"docker": {"enabled": false}, "containerd": {"enabled": false}})",
      std::vector<std::string>{bus->env()});
  if (!netvrfd->startReady()) {
    std::fprintf(stderr, "bench/cni: netvrfd did not start:\n%s\n", netvrfd->log().c_str());
    return 1;
  }
  const std::string noBus = "DBUS_SYSTEM_BUS_ADDRESS=unix:path=/nonexistent/netvrf-bench-bus";
  json own = {{"type", "netvrf"},
              {"vrf", "red"},
              {"table", 1001},
              {"table_file", dir.path() + "/tables.json"},
              {"rt_tables_file", dir.path() + "/rt_tables.conf"}};
  json alone = own, delegated = own;
  alone["daemon"] = "never";
  delegated["daemon"] = "required";
  std::vector<Method> methods = {{"netvrf (alone)", alone, {noBus}, {}, {}, {}, 0, {}},
                                 {"netvrf (netvrfd)", delegated, {bus->env()}, {}, {}, {}, 0, {}},
                                 {"CNI vrf 1.1.1",
                                  {{"type", "vrf"}, {"vrfname", "red"}, {"table", 1001}},
                                  {noBus},
                                  {},
                                  {},
                                  {},
                                  0,
                                  {}}};

  std::fprintf(stderr, "bench/cni: %d pods per method (and 1 warm-up each), interleaved\n", n);
  auto t0 = Clock::now();
  for (int i = 0; i <= n; ++i) {
    for (size_t j = 0; j < methods.size(); ++j) {  // a different one first each round
      size_t k = (j + size_t(i)) % methods.size();
      runOne(methods[k], k, i, i > 0, dir.path());
    }
    if (i % 10 == 0 && i > 0) std::fprintf(stderr, "  %d/%d (%.0f s)\n", i, n, msSince(t0) / 1000);
  }
  netvrfd->stop();

  int before = 3;  // bridge's gateways' routes: IPv4 default and 198.51.100.0/24, IPv6 default
  std::printf(
      "\nthe last plugin of bridge + host-local + it: ADD, then DEL, of one pod (eth0 with IPv4\n"
      "and IPv6, %d routes via gateways); ms as the runtime sees it (exec to exit), %d pods each\n",
      before, n);
  std::printf("%-20s %8s %8s %8s   %8s %8s %8s   %s\n", "method", "ADD p50", "ADD p99", "ADD mean",
              "DEL p50", "DEL p99", "DEL mean", "routes kept");
  int status = 0;
  for (const auto& m : methods) {
    auto a = netvrf::bench::percentiles(m.addMs), d = netvrf::bench::percentiles(m.delMs);
    int keptMin = before, keptMax = 0;
    for (int k : m.kept) keptMin = std::min(keptMin, k), keptMax = std::max(keptMax, k);
    std::string kept = m.kept.empty() ? "-"
                       : keptMin == keptMax
                           ? std::to_string(keptMin) + " of " + std::to_string(before)
                           : std::to_string(keptMin) + ".." + std::to_string(keptMax) + " of " +
                                 std::to_string(before);
    std::printf("%-20s %8.1f %8.1f %8.1f   %8.1f %8.1f %8.1f   %s\n", m.name.c_str(), a.p50, a.p99,
                a.mean, d.p50, d.p99, d.mean, kept.c_str());
    if (m.failures) {
      std::printf("  %d failed; the first: %s\n", m.failures, m.firstFailure.c_str());
      status = 1;
    }
  }
  return status;
}
