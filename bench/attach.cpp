// bench/attach: how long it takes to put one running namespace's eth0 into a VRF created in
// that namespace, and to take it out again: netvrf's attachInside/detachInside next to the CNI
// vrf plugin (ADD, DEL) doing the same enslave.
//
// Every namespace looks like a Docker container on a bridge: lo up, eth0 (a veth whose peer is a
// port of a bridge in a common peer namespace) with a /24 address and a default route through
// the bridge. Each method gets fresh namespaces; the two run interleaved, one namespace each in
// turn, so a slow phase of the VM hits both alike. Each call is timed from outside, as a caller
// sees it: for netvrf the thread that joins the namespace and the netlink socket, for the plugin
// the process it is (spawn, config on stdin, result, exit).
//
// Needs root and a kernel with VRF support: run it through `scripts/bench attach [N]`, which runs
// it in the test VM.
#include <fcntl.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <netlink/route/link/bridge.h>
#include <netlink/route/link/veth.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <functional>
#include <nlohmann/json.hpp>
#include <numeric>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "percentiles.hpp"
#include "attach/inside.hpp"
#include "harness.hpp"
#include "netlink/in_netns.hpp"
#include "netlink/nl_error.hpp"
#include "netlink/nl_handle.hpp"

namespace {

using netvrf::Fd;
using netvrf::runInNetns;
using nlohmann::json;

constexpr const char* kPlugin = "/usr/lib/cni/vrf";
constexpr const char* kVrf = "red";
constexpr uint32_t kTable = 1001;
constexpr int kMaxN = 252;  // 2N + 2 namespaces, 253 addresses in each of two /24s

// --- Setup, with libnl directly: a few hundred `ip` processes would take minutes in the VM.

netvrf::LinkPtr kernelLink(nl_sock* sock, const std::string& name) {
  rtnl_link* raw = nullptr;
  netvrf::checkNl(rtnl_link_get_kernel(sock, 0, name.c_str(), &raw), "find " + name);
  return netvrf::LinkPtr(raw);
}

void changeLink(nl_sock* sock, const std::string& name,
                const std::function<void(rtnl_link*)>& edit) {
  netvrf::LinkPtr link = kernelLink(sock, name);
  netvrf::LinkPtr change(rtnl_link_alloc());
  edit(change.get());
  netvrf::checkNl(rtnl_link_change(sock, link.get(), change.get(), 0), "change " + name);
}

void setUp(nl_sock* sock, const std::string& name) {
  changeLink(sock, name, [](rtnl_link* l) { rtnl_link_set_flags(l, IFF_UP); });
}

netvrf::NlAddr parseAddr(const std::string& text) {
  nl_addr* raw = nullptr;
  netvrf::checkNl(nl_addr_parse(text.c_str(), AF_INET, &raw), "parse " + text);
  return netvrf::NlAddr(raw);
}

void addAddress(nl_sock* sock, const std::string& dev, const std::string& cidr) {
  netvrf::AddrPtr addr(rtnl_addr_alloc());
  rtnl_addr_set_ifindex(addr.get(), rtnl_link_get_ifindex(kernelLink(sock, dev).get()));
  netvrf::checkNl(rtnl_addr_set_local(addr.get(), parseAddr(cidr).get()), "address " + cidr);
  netvrf::checkNl(rtnl_addr_add(sock, addr.get(), 0), "add " + cidr + " to " + dev);
}

// `ip route add default via GW dev DEV`, with what iproute2 would set.
void addDefaultRoute(nl_sock* sock, const std::string& dev, const std::string& gateway) {
  netvrf::RoutePtr route(rtnl_route_alloc());
  rtnl_route_set_family(route.get(), AF_INET);
  rtnl_route_set_table(route.get(), RT_TABLE_MAIN);
  rtnl_route_set_protocol(route.get(), RTPROT_BOOT);
  rtnl_route_set_scope(route.get(), RT_SCOPE_UNIVERSE);
  rtnl_route_set_type(route.get(), RTN_UNICAST);
  netvrf::checkNl(rtnl_route_set_dst(route.get(), parseAddr("0.0.0.0/0").get()), "default");
  rtnl_nexthop* nh = rtnl_route_nh_alloc();
  rtnl_route_nh_set_ifindex(nh, rtnl_link_get_ifindex(kernelLink(sock, dev).get()));
  rtnl_route_nh_set_gateway(nh, parseAddr(gateway).get());
  rtnl_route_add_nexthop(route.get(), nh);  // the route owns it now
  netvrf::checkNl(rtnl_route_add(sock, route.get(), NLM_F_CREATE | NLM_F_EXCL),
                  "add default via " + gateway);
}

// The common peer namespace: a bridge with the gateway address of both /24s.
Fd makePeer() {
  Fd peer = netvrf::test::newNetns();
  runInNetns(peer.get(), [] {
    netvrf::NlSocket sock = netvrf::connectRoute();
    setUp(sock.get(), "lo");
    netvrf::checkNl(rtnl_link_bridge_add(sock.get(), "br0"), "create br0");
    addAddress(sock.get(), "br0", "203.0.113.1/24");
    addAddress(sock.get(), "br0", "198.51.100.1/24");
    setUp(sock.get(), "br0");
  });
  return peer;
}

// One namespace under test.
struct Sandbox {
  Fd ns;
  std::string address;  // of eth0
  std::string gateway;
  std::string path;  // for CNI_NETNS: our own fd, through /proc (the plugin opens the path)
};

Sandbox makeSandbox(int index, const Fd& peer) {
  Sandbox s;
  bool first = index < 253;
  std::string net = first ? "203.0.113." : "198.51.100.";
  s.address = net + std::to_string((first ? index : index - 253) + 2);
  s.gateway = net + "1";
  s.ns = netvrf::test::newNetns();
  s.path = "/proc/" + std::to_string(getpid()) + "/fd/" + std::to_string(s.ns.get());
  std::string port = "v" + std::to_string(index);
  runInNetns(s.ns.get(), [&] {
    netvrf::NlSocket sock = netvrf::connectRoute();
    setUp(sock.get(), "lo");
    netvrf::LinkPtr veth(rtnl_link_veth_alloc());
    rtnl_link_set_name(veth.get(), "eth0");
    rtnl_link* end = rtnl_link_veth_get_peer(veth.get());
    rtnl_link_set_name(end, port.c_str());
    rtnl_link_set_ns_fd(end, peer.get());
    rtnl_link_put(end);
    netvrf::checkNl(rtnl_link_add(sock.get(), veth.get(), NLM_F_CREATE | NLM_F_EXCL),
                    "create eth0 <-> " + port);
    addAddress(sock.get(), "eth0", s.address + "/24");
    setUp(sock.get(), "eth0");
  });
  runInNetns(peer.get(), [&] {
    netvrf::NlSocket sock = netvrf::connectRoute();
    int bridge = rtnl_link_get_ifindex(kernelLink(sock.get(), "br0").get());
    changeLink(sock.get(), port, [&](rtnl_link* l) {
      rtnl_link_set_master(l, bridge);
      rtnl_link_set_flags(l, IFF_UP);
    });
  });
  runInNetns(s.ns.get(), [&] {
    netvrf::NlSocket sock = netvrf::connectRoute();
    addDefaultRoute(sock.get(), "eth0", s.gateway);
  });
  return s;
}

// --- What a namespace looks like, checked after every call (outside the timing).

struct Seen {
  std::string eth0Master;  // empty when none
  bool vrf = false;
  bool defaultInVrfTable = false;  // a unicast default route, in table 1001
  bool defaultInMain = false;
};

Seen observe(const Sandbox& s) {
  return runInNetns(s.ns.get(), [] {
    netvrf::NlSocket sock = netvrf::connectRoute();
    Seen seen;
    netvrf::LinkPtr eth0 = kernelLink(sock.get(), "eth0");
    if (int master = rtnl_link_get_master(eth0.get())) {
      rtnl_link* raw = nullptr;
      if (rtnl_link_get_kernel(sock.get(), master, nullptr, &raw) == 0) {
        netvrf::LinkPtr m(raw);
        seen.eth0Master = rtnl_link_get_name(m.get());
      }
    }
    rtnl_link* raw = nullptr;
    if (rtnl_link_get_kernel(sock.get(), 0, kVrf, &raw) == 0) {
      netvrf::LinkPtr vrf(raw);
      const char* type = rtnl_link_get_type(vrf.get());
      seen.vrf = type && std::string_view(type) == "vrf";
    }
    nl_cache* cache = nullptr;
    netvrf::checkNl(rtnl_route_alloc_cache(sock.get(), AF_INET, 0, &cache), "list routes");
    netvrf::NlCache routes(cache);
    for (nl_object* o = nl_cache_get_first(cache); o; o = nl_cache_get_next(o)) {
      auto* r = reinterpret_cast<rtnl_route*>(o);
      if (rtnl_route_get_type(r) != RTN_UNICAST || nl_addr_get_prefixlen(rtnl_route_get_dst(r)))
        continue;
      if (rtnl_route_get_table(r) == kTable) seen.defaultInVrfTable = true;
      if (rtnl_route_get_table(r) == RT_TABLE_MAIN) seen.defaultInMain = true;
    }
    return seen;
  });
}

// The same, through iproute2's own eyes, for the first measured namespace of each method.
json ipJson(const Sandbox& s, std::vector<std::string> args) {
  args.insert(args.begin(), {"ip", "-j"});
  auto r = runInNetns(s.ns.get(), [&] { return netvrf::test::run(args); });
  if (r.status != 0) throw std::runtime_error(args[2] + " " + args[3] + ": " + r.out);
  return r.out.empty() ? json::array() : json::parse(r.out);
}

// "default via 203.0.113.4, unreachable default, local 203.0.113.4, ..."
std::string describeTable(const json& routes) {
  std::string out;
  for (const auto& r : routes) {
    std::string type = r.value("type", "unicast");
    std::string one = (type == "unicast" ? "" : type + " ") + r.value("dst", "?");
    if (r.contains("gateway")) one += " via " + r["gateway"].get<std::string>();
    out += (out.empty() ? "" : ", ") + one;
  }
  return out.empty() ? "(empty)" : out;
}

// --- The two methods.

using Clock = std::chrono::steady_clock;

double msSince(Clock::time_point t0) {
  return std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
}

struct Call {
  bool ok = false;
  double ms = 0;
  std::string error;
};

Call netvrfAttach(const Sandbox& s) {
  netvrf::InsideRequest req;
  req.vrf = kVrf;
  req.table = kTable;
  req.interfaces = {"eth0"};
  req.strict = true;  // the plugin adds no rule for unbound sockets either
  Call c;
  auto t0 = Clock::now();
  try {
    runInNetns(s.ns.get(), [&] { netvrf::attachInside(netvrf::connectRoute().get(), req); });
    c.ok = true;
  } catch (const std::exception& e) {
    c.error = e.what();
  }
  c.ms = msSince(t0);
  return c;
}

Call netvrfDetach(const Sandbox& s) {
  Call c;
  auto t0 = Clock::now();
  try {
    runInNetns(s.ns.get(), [&] { netvrf::detachInside(netvrf::connectRoute().get(), kVrf); });
    c.ok = true;
  } catch (const std::exception& e) {
    c.error = e.what();
  }
  c.ms = msSince(t0);
  return c;
}

// What the plugin finds on stdin when it runs chained after the plugin that made eth0. It
// insists on a prevResult for ADD.
std::string cniConfig(const Sandbox& s) {
  json prev = {
      {"cniVersion", "1.0.0"},
      {"interfaces", {{{"name", "eth0"}, {"sandbox", s.path}}}},
      {"ips", {{{"address", s.address + "/24"}, {"gateway", s.gateway}, {"interface", 0}}}},
      {"routes", {{{"dst", "0.0.0.0/0"}, {"gw", s.gateway}}}}};
  return json{{"cniVersion", "1.0.0"}, {"name", "bench"}, {"type", "vrf"},
              {"vrfname", kVrf},       {"table", kTable}, {"prevResult", prev}}
      .dump();
}

// Runs the plugin as a runtime does (libcni: our environment plus the CNI_ variables, the
// configuration on stdin, the result on stdout). posix_spawn, not fork: see harness.cpp's run().
Call cni(const char* command, const Sandbox& s, int index) {
  std::string config = cniConfig(s);
  std::vector<std::string> vars = {
      std::string("CNI_COMMAND=") + command, "CNI_CONTAINERID=bench" + std::to_string(index),
      "CNI_NETNS=" + s.path, "CNI_IFNAME=eth0", "CNI_PATH=/usr/lib/cni"};
  std::vector<char*> envp;
  for (char** e = environ; *e; ++e)
    if (!std::string_view(*e).starts_with("CNI_")) envp.push_back(*e);
  for (auto& v : vars) envp.push_back(v.data());
  envp.push_back(nullptr);
  char* argv[] = {const_cast<char*>(kPlugin), nullptr};

  Call c;
  auto t0 = Clock::now();
  int in[2], out[2];
  if (pipe2(in, O_CLOEXEC) < 0) throw std::runtime_error("pipe");
  if (pipe2(out, O_CLOEXEC) < 0) {
    close(in[0]);
    close(in[1]);
    throw std::runtime_error("pipe");
  }
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_adddup2(&fa, in[0], STDIN_FILENO);
  posix_spawn_file_actions_adddup2(&fa, out[1], STDOUT_FILENO);
  posix_spawn_file_actions_adddup2(&fa, out[1], STDERR_FILENO);
  pid_t pid = -1;
  int err = posix_spawn(&pid, kPlugin, &fa, nullptr, argv, envp.data());
  posix_spawn_file_actions_destroy(&fa);
  close(in[0]);
  close(out[1]);
  if (err != 0) {
    close(in[1]);
    close(out[0]);
    c.error = std::string("spawn ") + kPlugin + ": " + std::strerror(err);
    return c;
  }
  // A few hundred bytes: the pipe takes them before the plugin reads.
  ssize_t written = write(in[1], config.data(), config.size());
  close(in[1]);
  std::string output;
  char buf[4096];
  for (ssize_t n; (n = read(out[0], buf, sizeof buf)) > 0;) output.append(buf, size_t(n));
  close(out[0]);
  int status = 0;
  waitpid(pid, &status, 0);
  c.ms = msSince(t0);
  c.ok = written == ssize_t(config.size()) && WIFEXITED(status) && WEXITSTATUS(status) == 0;
  if (!c.ok)
    c.error = "CNI " + std::string(command) + " exited with status " +
              std::to_string(WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status)) +
              ": " + output;
  return c;
}

// --- Bookkeeping.

struct Method {
  using Op = std::function<Call(const Sandbox&, int)>;
  Method(const char* n, Op a, Op d) : name(n), attach(std::move(a)), detach(std::move(d)) {}
  const char* name;
  Op attach, detach;
  std::vector<Sandbox> sandboxes;
  std::vector<double> attachMs, detachMs;
  int failures = 0, notEnslaved = 0, notReleased = 0;
  int defaultKeptInVrf = 0, defaultBackInMain = 0, vrfLeft = 0;
  std::string tableAfterAttach;  // first measured namespace, as `ip -j` shows it
};

void fail(Method& m, const std::string& what) {
  if (++m.failures <= 5) std::fprintf(stderr, "  %s: %s\n", m.name, what.c_str());
}

// One namespace: attach, check, detach, check. `measured` is false for the warm-up round.
void runOne(Method& m, int i, bool measured, bool checkWithIp) {
  const Sandbox& s = m.sandboxes[size_t(i)];
  Call a = m.attach(s, i);
  if (!a.ok) return fail(m, "attach: " + a.error);
  Seen attached = observe(s);
  if (checkWithIp) {
    json link = ipJson(s, {"link", "show", "eth0"});
    std::string master = link.empty() ? "" : link[0].value("master", "");
    if (master != attached.eth0Master)
      fail(m, "ip says eth0's master is '" + master + "', libnl '" + attached.eth0Master + "'");
    m.tableAfterAttach = describeTable(ipJson(s, {"route", "show", "table", "1001"}));
    std::fprintf(stderr, "  %s, first namespace (%s): ip -j: eth0 master '%s'; table %u: %s\n",
                 m.name, s.address.c_str(), master.c_str(), kTable, m.tableAfterAttach.c_str());
  }
  Call d = m.detach(s, i);
  if (!d.ok) return fail(m, "detach: " + d.error);
  Seen released = observe(s);
  if (!measured) return;
  m.attachMs.push_back(a.ms);
  m.detachMs.push_back(d.ms);
  if (attached.eth0Master != kVrf) ++m.notEnslaved;
  if (!released.eth0Master.empty()) ++m.notReleased;
  m.defaultKeptInVrf += attached.defaultInVrfTable;
  m.defaultBackInMain += released.defaultInMain;
  m.vrfLeft += released.vrf;
}

using Figures = netvrf::bench::Percentiles;

Figures summarize(std::vector<double> ms) {
  return netvrf::bench::percentiles(std::move(ms));
}

void printRow(const char* what, const Method& m) {
  Figures a = summarize(m.attachMs), d = summarize(m.detachMs);
  std::printf("%-38s %8.2f %8.2f %8.2f   %8.2f %8.2f %8.2f\n", what, a.p50, a.p99, a.mean, d.p50,
              d.p99, d.mean);
}

void printWork(const Method& m, int n) {
  std::printf(
      "  %-14s eth0 enslaved %zu/%d, released %zu/%d; a default route in table %u after attach "
      "%d/%d, in main after detach %d/%d; VRF left behind %d; failed calls %d\n",
      m.name, m.attachMs.size() - size_t(m.notEnslaved), n,
      m.detachMs.size() - size_t(m.notReleased), n, kTable, m.defaultKeptInVrf, n,
      m.defaultBackInMain, n, m.vrfLeft, m.failures);
  std::printf("  %-14s table %u after attach (first namespace): %s\n", "", kTable,
              m.tableAfterAttach.c_str());
}

}  // namespace

int main(int argc, char** argv) {
  int n = 100;
  if (argc > 2 || (argc == 2 && (std::atoi(argv[1]) < 1 || std::atoi(argv[1]) > kMaxN))) {
    std::fprintf(stderr, "usage: bench_attach [N]   (1 <= N <= %d, default 100)\n", kMaxN);
    return 2;
  }
  if (argc == 2) n = std::atoi(argv[1]);
  if (auto why = netvrf::test::missingVrf()) {
    std::fprintf(stderr, "bench/attach: %s; run it through scripts/bench attach\n", why->c_str());
    return 2;
  }
  if (access(kPlugin, X_OK) != 0) {
    std::fprintf(stderr, "bench/attach: no %s (package containernetworking-plugins)\n", kPlugin);
    return 2;
  }

  Method nv{"netvrf", [](const Sandbox& s, int) { return netvrfAttach(s); },
            [](const Sandbox& s, int) { return netvrfDetach(s); }};
  Method plugin{"CNI vrf plugin", [](const Sandbox& s, int i) { return cni("ADD", s, i); },
                [](const Sandbox& s, int i) { return cni("DEL", s, i); }};

  // Namespace 0 of each method is the unmeasured warm-up (the plugin's first exec, the first
  // netlink calls).
  std::fprintf(stderr, "setting up %d namespaces (eth0 <-> a bridge in a peer namespace)\n",
               2 * (n + 1));
  auto t0 = Clock::now();
  Fd peer = makePeer();
  for (int i = 0; i <= n; ++i) {
    nv.sandboxes.push_back(makeSandbox(2 * i, peer));
    plugin.sandboxes.push_back(makeSandbox(2 * i + 1, peer));
    if ((i + 1) % 50 == 0) std::fprintf(stderr, "  %d/%d\n", 2 * (i + 1), 2 * (n + 1));
  }
  std::fprintf(stderr, "  done in %.1f s\n", msSince(t0) / 1000);
  for (const Method* m : {&nv, &plugin}) {
    Seen s = observe(m->sandboxes[0]);
    if (!s.defaultInMain || !s.eth0Master.empty()) {
      std::fprintf(stderr, "bench/attach: the setup is broken (no default route in main)\n");
      return 1;
    }
  }

  std::fprintf(stderr, "attach + detach, %d namespaces per method, interleaved\n", n);
  t0 = Clock::now();
  for (int i = 0; i <= n; ++i) {
    // Alternate which goes first, so neither always runs right after the other.
    Method& first = i % 2 ? plugin : nv;
    Method& second = i % 2 ? nv : plugin;
    runOne(first, i, i > 0, i == 1);
    runOne(second, i, i > 0, i == 1);
    if (i % 20 == 0 && i > 0) std::fprintf(stderr, "  %d/%d (%.0f s)\n", i, n, msSince(t0) / 1000);
  }

  std::printf(
      "\nattach one namespace's eth0 to VRF %s (table %u, created there), then detach;\n"
      "%d namespaces per method, after 1 warm-up each; ms, timed by the caller\n",
      kVrf, kTable, n);
  std::printf("%-38s %8s %8s %8s   %8s %8s %8s\n", "method", "att p50", "att p99", "att mean",
              "det p50", "det p99", "det mean");
  printRow("netvrf attachInside/detachInside", nv);
  printRow("CNI vrf plugin 1.1.1 ADD/DEL (exec)", plugin);
  Figures na = summarize(nv.attachMs), pa = summarize(plugin.attachMs);
  Figures nd = summarize(nv.detachMs), pd = summarize(plugin.detachMs);
  std::printf("p50 ratio (plugin / netvrf): attach %.1fx, detach %.1fx\n",
              pa.p50 / std::max(na.p50, 1e-9), pd.p50 / std::max(nd.p50, 1e-9));

  std::printf("\nwhat each did (checked with libnl after every call, with ip -j on the first):\n");
  printWork(nv, n);
  printWork(plugin, n);
  std::printf(
      "  netvrf runs strict (no rule for unbound sockets, no l3mdev_accept sysctls), because the\n"
      "  plugin adds neither. In-process: a thread that joins the namespace, a netlink socket.\n"
      "  Attach also puts the unreachable catch-all defaults (v4 and v6) into table %u, marks the\n"
      "  VRF as its own, and restores eth0's addresses and routes after the enslave (routes into\n"
      "  table %u); detach moves them back to main and deletes the VRF and the l3mdev rules.\n"
      "  The plugin: one process per call (a Go binary). ADD creates the VRF, enslaves eth0 and\n"
      "  re-adds lost IPv6 addresses, nothing about routes; DEL releases eth0 and deletes the VRF\n"
      "  once it has no port, leaving the l3mdev rule. The route counts above show the result.\n",
      kTable, kTable);

  bool ok = nv.failures == 0 && plugin.failures == 0 && nv.notEnslaved == 0 &&
            plugin.notEnslaved == 0 && nv.notReleased == 0 && plugin.notReleased == 0;
  return ok ? 0 : 1;
}
