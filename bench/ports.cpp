// bench/ports: published ports of containers on a network in a host VRF, in one boot of the test
// VM with the guest's dockerd (its iptables rules on, as users run it). Network pbench is
// labelled netvrf.vrf=pbench; an uplink veth (192.0.2.1/28) in VRF pbench leads to a client
// namespace (192.0.2.2). N containers (default 200), each `-p PORT:80` running busybox httpd:
//   1. netvrfd: per container, from `docker run -d` returning to its port answering through the
//      uplink (a TCP connect from the client namespace to 192.0.2.1:PORT), 8 runs at a time;
//   2. by hand, as a user would without netvrfd, on a second batch of N with netvrfd stopped and
//      its DNAT rules flushed: after `docker run -d`, `docker inspect` for the address, then
//      `iptables -t nat -A` one DNAT rule; the same measure;
//   3. the cost of one change (a port replaced) as the rules grow: netvrfd's (one
//      iptables-restore deleting and appending what changed), and by hand one `iptables -A`
//      into a chain of that size: at 10, 100, 1,000 and 4,000 rules.
// Run it through `scripts/bench ports [N]`.
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sched.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>

#include "bench_util.hpp"
#include "common/subprocess.hpp"
#include "firewall/iptables.hpp"
#include "percentiles.hpp"

namespace {

using netvrf::bench::Clock;
using netvrf::bench::docker;
using netvrf::bench::msSince;
using netvrf::bench::parallelFor;
using netvrf::bench::say;
using netvrf::bench::trim;
using netvrf::test::Netvrfd;
using netvrf::test::Result;
using netvrf::test::run;

constexpr int kMaxN = 240;  // the network is a /24
constexpr int kParallelRuns = 8;
const std::string kClient = "nvbench-client";
const std::string kUplink = "nvbup0";
const std::string kVrf = "pbench";

// Polls every pending port from the client namespace until each answers or times out.
class Poller {
 public:
  explicit Poller(int clientNs) : thread_([this, clientNs] { loop(clientNs); }) {}
  ~Poller() {
    {
      std::lock_guard lock(mutex_);
      stop_ = true;
    }
    thread_.join();
  }
  void watch(int index, uint16_t port, Clock::time_point since) {
    std::lock_guard lock(mutex_);
    pending_.push_back({index, port, since});
  }
  // index -> ms from `since` to the first answer; waits until none is pending or `timeout`.
  std::map<int, double> wait(size_t count, std::chrono::seconds timeout) {
    auto end = Clock::now() + timeout;
    for (;;) {
      {
        std::lock_guard lock(mutex_);
        if (done_.size() >= count || Clock::now() > end) return done_;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
  }
  void reset() {
    std::lock_guard lock(mutex_);
    done_.clear();
    pending_.clear();
  }

 private:
  struct Pending {
    int index;
    uint16_t port;
    Clock::time_point since;
  };
  static bool answers(uint16_t port) {
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return false;
    timeval tv{0, 300000};
    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
    sockaddr_in to{};
    to.sin_family = AF_INET;
    to.sin_port = htons(port);
    inet_pton(AF_INET, "192.0.2.1", &to.sin_addr);
    bool ok = connect(fd, reinterpret_cast<sockaddr*>(&to), sizeof to) == 0;
    close(fd);
    return ok;
  }
  void loop(int clientNs) {
    if (setns(clientNs, CLONE_NEWNET) != 0) {
      say("bench/ports: cannot enter the client namespace\n");
      return;
    }
    for (;;) {
      std::vector<Pending> now;
      {
        std::lock_guard lock(mutex_);
        if (stop_) return;
        now = pending_;
      }
      for (const auto& p : now)
        if (answers(p.port)) {
          double ms = msSince(p.since);
          std::lock_guard lock(mutex_);
          done_[p.index] = ms;
          std::erase_if(pending_, [&](const Pending& q) { return q.index == p.index; });
        }
      // A sweep every 10 ms: polling flat out would take a vCPU from the containers starting.
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
  }

  std::mutex mutex_;
  std::vector<Pending> pending_;
  std::map<int, double> done_;
  bool stop_ = false;
  std::thread thread_;
};

// As progress, so that a run stopped half-way has told its first figures.
std::string summary(const std::map<int, double>& done) {
  std::vector<double> ms;
  for (const auto& [i, t] : done) ms.push_back(t);
  auto f = netvrf::bench::percentiles(ms);
  char buf[96];
  std::snprintf(buf, sizeof buf, "p50 %.0f ms, p99 %.0f ms, max %.0f ms", f.p50, f.p99, f.max);
  return buf;
}

void printRow(const char* what, const std::map<int, double>& done, int n) {
  std::vector<double> ms;
  std::vector<std::pair<double, int>> slowest;
  for (const auto& [i, t] : done) {
    ms.push_back(t);
    slowest.emplace_back(t, i);
  }
  auto f = netvrf::bench::percentiles(ms);
  std::printf("  %-44s %5zu/%-4d %9.0f %9.0f %9.0f\n", what, done.size(), n, f.p50, f.p99, f.max);
  std::sort(slowest.rbegin(), slowest.rend());
  std::string worst;
  for (size_t k = 0; k < slowest.size() && k < 3; ++k)
    worst += (k ? ", #" : "#") + std::to_string(slowest[k].second + 1) + " " +
             std::to_string(int(slowest[k].first)) + " ms";
  std::printf("  %-44s (slowest: %s, by start order)\n", "", worst.c_str());
}

// Starts containers [first, first + n) with -p (base + i):80; `after` runs once each `docker
// run -d` returned, with its index and that time.
bool startAll(int n, int base, const std::string& prefix, const std::string& net,
              const std::function<void(int, const std::string&, Clock::time_point)>& after) {
  std::atomic<int> failed{0}, started{0};
  auto t0 = Clock::now();
  parallelFor(n, kParallelRuns, [&](int i) {
    std::string name = prefix + std::to_string(i);
    Result r = docker({"run", "-d", "--name", name, "--network", net, "-p",
                       std::to_string(base + i) + ":80", netvrf::test::testImage(), "/bin/busybox",
                       "httpd", "-f", "-p", "80", "-h", "/"});
    auto returned = Clock::now();
    if (r.status != 0) {
      if (++failed == 1) say("docker run %s: %s\n", name.c_str(), trim(r.out).c_str());
      return;
    }
    after(i, name, returned);
    if (int s = ++started; s % 20 == 0 || s == n)
      say("  %d/%d started (%.0f s)\n", s, n, msSince(t0) / 1000);
  });
  return failed == 0;
}

// Their addresses come back to the network's pool: the second batch needs them.
void removeAll(int n, const std::string& prefix) {
  std::atomic<int> failed{0};
  parallelFor(n, kParallelRuns, [&](int i) {
    netvrf::test::Result r = docker({"rm", "-f", prefix + std::to_string(i)});
    if (r.status != 0 && failed++ == 0)
      std::fprintf(stderr, "docker rm %s%d: %s", prefix.c_str(), i, r.out.c_str());
  });
  if (failed) std::fprintf(stderr, "bench/ports: %d containers not removed\n", failed.load());
}

// One change of netvrfd's chains at `rules` rules, and one `iptables -A` into a chain of that
// size, in ms (mean of `rounds`).
std::pair<double, double> changeCost(int rules, int rounds) {
  auto ruleFor = [](int k) {
    return "-i " + kUplink + " -m addrtype --dst-type LOCAL --limit-iface-in -p tcp --dport " +
           std::to_string(10000 + k) + " -j DNAT --to-destination 203.0.113." +
           std::to_string(2 + k % 250) + ":80";
  };
  netvrf::Ruleset set;
  for (int k = 0; k < rules; ++k) set.prerouting.push_back(ruleFor(k));
  double netvrfd = 0, byHand = 0;
  netvrf::Iptables iptables;  // as netvrfd's attach worker holds it
  iptables.apply(false, set, true);
  for (int r = 0; r < rounds; ++r) {
    set.prerouting.back() = ruleFor(rules + r);  // a change: one port replaced
    auto t0 = Clock::now();
    iptables.apply(false, set, false);
    netvrfd += msSince(t0);
  }
  iptables.apply(false, {}, true);
  run({"iptables", "-w", "-t", "nat", "-N", "NVBENCH"});
  std::string restore = "*nat\n:NVBENCH - [0:0]\n";
  for (int k = 0; k < rules; ++k) restore += "-A NVBENCH " + ruleFor(k) + "\n";
  netvrf::runProgram({"iptables-restore", "-w", "--noflush"}, restore + "COMMIT\n");
  for (int r = 0; r < rounds; ++r) {
    std::vector<std::string> argv = {"iptables", "-w", "-t", "nat", "-A", "NVBENCH"};
    std::istringstream words(ruleFor(rules + 100 + r));
    for (std::string w; words >> w;) argv.push_back(w);
    auto t0 = Clock::now();
    run(argv);
    byHand += msSince(t0);
  }
  run({"iptables", "-w", "-t", "nat", "-F", "NVBENCH"});
  run({"iptables", "-w", "-t", "nat", "-X", "NVBENCH"});
  return {netvrfd / rounds, byHand / rounds};
}

}  // namespace

int main(int argc, char** argv) {
  int n = argc == 2 ? std::atoi(argv[1]) : 200;
  if (argc > 2 || n < 1 || n > kMaxN) {
    std::fprintf(stderr, "usage: bench_ports [N]   (1 <= N <= %d, default 200)\n", kMaxN);
    return 2;
  }
  for (auto why : {netvrf::test::missingVrf(), netvrf::test::missingDocker()})
    if (why) {
      std::fprintf(stderr, "bench/ports: %s; run it through scripts/bench ports\n", why->c_str());
      return 2;
    }
  std::string cpu = netvrf::bench::cpuModel();
  // The client behind the uplink.
  run({"ip", "netns", "add", kClient});
  run({"ip", "link", "add", kUplink, "type", "veth", "peer", "name", "nvbup0c", "netns", kClient});
  run({"ip", "addr", "add", "192.0.2.1/28", "dev", kUplink});
  run({"ip", "-n", kClient, "addr", "add", "192.0.2.2/28", "dev", "nvbup0c"});
  run({"ip", "-n", kClient, "link", "set", "nvbup0c", "up"});
  run({"ip", "-n", kClient, "link", "set", "lo", "up"});
  run({"ip", "-n", kClient, "route", "add", "default", "via", "192.0.2.1"});
  int clientNs = open(("/run/netns/" + kClient).c_str(), O_RDONLY | O_CLOEXEC);
  if (clientNs < 0) {
    std::fprintf(stderr, "bench/ports: cannot make the client namespace\n");
    return 1;
  }
  Netvrfd d;
  if (!d.startReady()) {
    std::fprintf(stderr, "bench/ports: netvrfd did not start:\n%s", d.log().c_str());
    return 1;
  }
  const std::string net = "nvbench";
  docker({"network", "create", "--label", "netvrf.vrf=" + kVrf, "--subnet", "203.0.113.0/24", net});
  bool inVrf = netvrf::test::waitUntil(
      [&] {
        return run({"ip", "link", "show", "master", kVrf}).out.find("br-") != std::string::npos;
      },
      std::chrono::seconds(30));
  run({"ip", "link", "set", kUplink, "master", kVrf});
  run({"ip", "link", "set", kUplink, "up"});
  if (!inVrf) {
    std::fprintf(stderr, "bench/ports: the network's bridge did not join VRF %s:\n%s", kVrf.c_str(),
                 d.log().c_str());
    return 1;
  }

  Poller poller(clientNs);
  say("1. netvrfd: %d containers with a published port, %d runs at a time\n", n, kParallelRuns);
  startAll(n, 20000, "pb-", net, [&](int i, const std::string&, Clock::time_point t) {
    poller.watch(i, uint16_t(20000 + i), t);
  });
  auto withNetvrfd = poller.wait(size_t(n), std::chrono::seconds(120));
  say("   %zu/%d answered (%s); removing them\n", withNetvrfd.size(), n,
      summary(withNetvrfd).c_str());
  removeAll(n, "pb-");
  poller.reset();

  // netvrfd's own account: writes of its chains that failed (each tried again by itself).
  std::string log = d.log();
  int failures = 0;
  for (size_t at = 0; (at = log.find("cannot update netvrfd's chains", at)) != std::string::npos;
       ++at)
    ++failures;
  say("   netvrfd: %d failed writes of its chains\n", failures);
  if (failures) say("%s", log.c_str());

  // 2. By hand: netvrfd stopped (its chains stay: the forward rule a user would also need),
  // its DNAT rules flushed; the user's script adds one DNAT per container.
  d.stop();
  run({"iptables", "-w", "-t", "nat", "-F", "NETVRF-PREROUTING"});
  run({"iptables", "-w", "-t", "nat", "-F", "NETVRF-OUTPUT"});
  say("2. by hand: docker run, docker inspect, iptables -t nat -A\n");
  startAll(n, 30000, "ph-", net, [&](int i, const std::string& name, Clock::time_point t) {
    Result ip = docker(
        {"inspect", "-f", "{{(index .NetworkSettings.Networks \"" + net + "\").IPAddress}}", name});
    run({"iptables", "-w", "-t", "nat", "-A", "NETVRF-PREROUTING", "-i", kUplink, "-p", "tcp",
         "--dport", std::to_string(30000 + i), "-j", "DNAT", "--to-destination",
         trim(ip.out) + ":80"});
    poller.watch(i, uint16_t(30000 + i), t);
  });
  auto byHand = poller.wait(size_t(n), std::chrono::seconds(120));
  say("   %zu/%d answered (%s); removing them\n", byHand.size(), n, summary(byHand).c_str());
  removeAll(n, "ph-");

  say("3. one change as the rules grow\n");
  std::vector<std::tuple<int, double, double>> costs;
  for (int rules : {10, 100, 1000, 4000}) {
    auto [nd, hand] = changeCost(rules, 5);
    costs.emplace_back(rules, nd, hand);
    say("   %d rules done\n", rules);
  }
  netvrf::Iptables().apply(false, {}, true);  // netvrfd's chains and jumps go
  docker({"network", "rm", net});
  run({"ip", "link", "del", kUplink});
  run({"ip", "netns", "del", kClient});
  close(clientNs);

  std::printf(
      "bench/ports: %d containers on a network in host VRF %s, published port answering "
      "through the uplink (guest CPU: %s)\n",
      n, kVrf.c_str(), cpu.c_str());
  std::printf("  %-44s %10s %9s %9s %9s\n", "from docker run -d returning, ms", "answered", "p50",
              "p99", "max");
  printRow("netvrfd", withNetvrfd, n);
  if (failures)
    std::printf("  (netvrfd: %d writes of its chains failed and were tried again)\n", failures);
  printRow("by hand (inspect + iptables -A per container)", byHand, n);
  std::printf(
      "  one change, ms          netvrfd (iptables-restore -D/-A)   by hand (iptables -A)\n");
  for (auto [rules, nd, hand] : costs)
    std::printf("  %6d rules             %12.1f                     %12.1f\n", rules, nd, hand);
  return withNetvrfd.size() == size_t(n) ? 0 : 1;
}
