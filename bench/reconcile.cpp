// bench/reconcile: what netvrfd's reconcile costs at scale, in one boot of the test VM. N running
// containers (default 200) on the test network, all matched by one policy (name rc-*, VRF red):
//   1. netvrfd attaches them as they start;
//   2. netvrfd is SIGKILLed and started again: the time until it has checked every container,
//      whether anything in the containers' namespaces changed (a snapshot of `ip -j` link,
//      route and rule state before and after), and how many netlink notifications the
//      containers' namespaces produced meanwhile (a subscribed socket in every namespace);
//   3. the policy moves to VRF green and netvrfd reloads (SIGHUP): the time until every
//      container's eth0 has master green, per container from the notification that shows it;
//   4. the same move done by hand, as a user would without netvrfd: `ip -batch` and
//      `ip -6 -batch` per namespace, one namespace after another, on the same containers once
//      netvrfd has stopped (first green -> red, then red -> green, the move netvrfd made in 3).
// Needs root, a kernel with VRF support and the test dockerd: run it through
// `scripts/bench reconcile [N]`, which runs it in the test VM with the guest's dockerd.
#include <fcntl.h>
#include <linux/if_link.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdarg>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "harness.hpp"
#include "netlink/in_netns.hpp"
#include "netlink/nl_error.hpp"
#include "netlink/nl_handle.hpp"
#include "bench_util.hpp"
#include "percentiles.hpp"

namespace {

using netvrf::Fd;
using netvrf::runInNetns;
using netvrf::test::Netvrfd;
using netvrf::test::Result;
using nlohmann::json;
using Clock = std::chrono::steady_clock;
using netvrf::bench::cpuModel;
using netvrf::bench::docker;
using netvrf::bench::msSince;
using netvrf::bench::parallelFor;
using netvrf::bench::readFile;
using netvrf::bench::say;
using netvrf::bench::trim;

constexpr int kMaxN = 240;         // one /24 (the test bridge's), less docker's own and a margin
constexpr int kParallelRuns = 8;   // docker run -d at a time
constexpr int kParallelSnaps = 2;  // ip processes at a time (the VM has 2 vCPUs)
// Compared between netvrfd's move and the by-hand one: the first few (the restart compares all).
constexpr size_t kCompared = 10;

// --- One container under test: its namespace, a query socket and a notification socket in it.

struct Box {
  std::string name;
  pid_t pid = 0;
  Fd ns;
  netvrf::NlSocket query;  // libnl, in the container's namespace
  Fd monitor;              // raw rtnetlink, subscribed to link, address, route and rule groups
  // Filled by the monitor thread (under Monitor::mutex_).
  std::map<int, std::string> names;  // ifindex -> name, as the notifications say
  std::optional<double> masterSeenMs;  // when eth0's master became the target, from t0
};

// Counts of notifications by kind, per container and in all.
struct Counts {
  std::map<std::string, long> byType;
  long total = 0;
  long overflows = 0;  // ENOBUFS: notifications lost
  int containers = 0;  // with at least one notification
};

const char* typeName(uint16_t t) {
  switch (t) {
    case RTM_NEWLINK: return "NEWLINK";
    case RTM_DELLINK: return "DELLINK";
    case RTM_NEWADDR: return "NEWADDR";
    case RTM_DELADDR: return "DELADDR";
    case RTM_NEWROUTE: return "NEWROUTE";
    case RTM_DELROUTE: return "DELROUTE";
    case RTM_NEWRULE: return "NEWRULE";
    case RTM_DELRULE: return "DELRULE";
    default: return "other";
  }
}

// One thread reads every container's notification socket. It counts what arrives and notes when
// eth0's master becomes the VRF named target (a link notification, so no polling delay).
class Monitor {
 public:
  explicit Monitor(std::vector<Box>& boxes) : boxes_(boxes) {
    epoll_.reset(epoll_create1(EPOLL_CLOEXEC));
    for (size_t i = 0; i < boxes_.size(); ++i) {
      epoll_event ev{};
      ev.events = EPOLLIN;
      ev.data.u32 = uint32_t(i);
      if (epoll_ctl(epoll_.get(), EPOLL_CTL_ADD, boxes_[i].monitor.get(), &ev) < 0)
        throw std::runtime_error("epoll_ctl");
    }
    perBox_.resize(boxes_.size());
    thread_ = std::thread([this] { loop(); });
  }
  ~Monitor() {
    stop_ = true;
    thread_.join();
  }

  // Starts a new count and a new target; `names` refreshes each box's ifindex map first.
  void begin(const std::string& target, Clock::time_point t0) {
    std::lock_guard lock(mutex_);
    for (auto& c : perBox_) c = Counts{};
    target_ = target;
    t0_ = t0;
    for (auto& b : boxes_) b.masterSeenMs.reset();
  }
  Counts counts() {
    std::lock_guard lock(mutex_);
    Counts all;
    for (const auto& c : perBox_) {
      for (const auto& [k, v] : c.byType) all.byType[k] += v;
      all.total += c.total;
      all.overflows += c.overflows;
      all.containers += c.total > 0;
    }
    return all;
  }
  std::optional<double> masterSeen(size_t i) {
    std::lock_guard lock(mutex_);
    return boxes_[i].masterSeenMs;
  }
  void setNames(size_t i, std::map<int, std::string> names) {
    std::lock_guard lock(mutex_);
    boxes_[i].names = std::move(names);
  }

 private:
  void loop() {
    epoll_event events[64];
    char buf[65536];
    while (!stop_) {
      int n = epoll_wait(epoll_.get(), events, 64, 100);
      for (int e = 0; e < n; ++e) {
        size_t i = events[e].data.u32;
        for (;;) {
          ssize_t len = recv(boxes_[i].monitor.get(), buf, sizeof buf, MSG_DONTWAIT);
          if (len < 0 && errno == ENOBUFS) {
            std::lock_guard lock(mutex_);
            ++perBox_[i].overflows;
            continue;
          }
          if (len <= 0) break;
          parse(i, buf, size_t(len), Clock::now());
        }
      }
    }
  }

  void parse(size_t i, char* buf, size_t len, Clock::time_point at) {
    std::lock_guard lock(mutex_);
    Box& b = boxes_[i];
    Counts& c = perBox_[i];
    for (auto* h = reinterpret_cast<nlmsghdr*>(buf); NLMSG_OK(h, len); h = NLMSG_NEXT(h, len)) {
      ++c.byType[typeName(h->nlmsg_type)];
      ++c.total;
      if (h->nlmsg_type != RTM_NEWLINK && h->nlmsg_type != RTM_DELLINK) continue;
      auto* ifi = static_cast<ifinfomsg*>(NLMSG_DATA(h));
      int attrLen = int(IFLA_PAYLOAD(h));
      std::string name;
      int master = 0;
      for (auto* a = IFLA_RTA(ifi); RTA_OK(a, attrLen); a = RTA_NEXT(a, attrLen)) {
        if (a->rta_type == IFLA_IFNAME) name = static_cast<const char*>(RTA_DATA(a));
        if (a->rta_type == IFLA_MASTER) master = *static_cast<const int*>(RTA_DATA(a));
      }
      if (h->nlmsg_type == RTM_DELLINK) {
        b.names.erase(ifi->ifi_index);
        continue;
      }
      b.names[ifi->ifi_index] = name;
      if (name == "eth0" && master && !b.masterSeenMs && !target_.empty()) {
        auto m = b.names.find(master);
        if (m != b.names.end() && m->second == target_)
          b.masterSeenMs = std::chrono::duration<double, std::milli>(at - t0_).count();
      }
    }
  }

  std::vector<Box>& boxes_;
  Fd epoll_;
  std::thread thread_;
  std::atomic<bool> stop_{false};
  std::mutex mutex_;
  std::vector<Counts> perBox_;
  std::string target_;
  Clock::time_point t0_;
};

Fd openMonitorSocket() {
  Fd fd(socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC | SOCK_NONBLOCK, NETLINK_ROUTE));
  if (!fd) throw std::runtime_error("netlink socket");
  sockaddr_nl sa{};
  sa.nl_family = AF_NETLINK;
  if (bind(fd.get(), reinterpret_cast<sockaddr*>(&sa), sizeof sa) < 0)
    throw std::runtime_error("bind netlink socket");
  for (int g : {RTNLGRP_LINK, RTNLGRP_IPV4_IFADDR, RTNLGRP_IPV6_IFADDR, RTNLGRP_IPV4_ROUTE,
                RTNLGRP_IPV6_ROUTE, RTNLGRP_IPV4_RULE, RTNLGRP_IPV6_RULE})
    if (setsockopt(fd.get(), SOL_NETLINK, NETLINK_ADD_MEMBERSHIP, &g, sizeof g) < 0)
      throw std::runtime_error("join rtnetlink group " + std::to_string(g));
  int size = 4 << 20;
  setsockopt(fd.get(), SOL_SOCKET, SO_RCVBUFFORCE, &size, sizeof size);
  return fd;
}

std::map<int, std::string> linkNames(nl_sock* sock) {
  nl_cache* raw = nullptr;
  netvrf::checkNl(rtnl_link_alloc_cache(sock, AF_UNSPEC, &raw), "list links");
  netvrf::NlCache cache(raw);
  std::map<int, std::string> names;
  for (nl_object* o = nl_cache_get_first(raw); o; o = nl_cache_get_next(o)) {
    auto* l = reinterpret_cast<rtnl_link*>(o);
    names[rtnl_link_get_ifindex(l)] = rtnl_link_get_name(l);
  }
  return names;
}

// eth0's master as the kernel says now ("" when none).
std::string masterOf(Box& b) {
  rtnl_link* raw = nullptr;
  if (rtnl_link_get_kernel(b.query.get(), 0, "eth0", &raw) < 0) return "?";
  netvrf::LinkPtr eth0(raw);
  int master = rtnl_link_get_master(eth0.get());
  if (!master) return "";
  if (rtnl_link_get_kernel(b.query.get(), master, nullptr, &raw) < 0) return "?";
  netvrf::LinkPtr m(raw);
  return rtnl_link_get_name(m.get());
}

// Polls the kernel until every box's eth0 has master `vrf`; returns how many do.
int waitMasters(std::vector<Box>& boxes, const std::string& vrf, std::chrono::seconds timeout) {
  auto deadline = Clock::now() + timeout;
  for (;;) {
    int ok = 0;
    for (auto& b : boxes) ok += masterOf(b) == vrf;
    if (ok == int(boxes.size()) || Clock::now() > deadline) return ok;
    std::this_thread::sleep_for(std::chrono::milliseconds(250));
  }
}

// --- netvrfd's log, read as it grows; every line stamped when it was read (50 ms polls).

class LogTail {
 public:
  explicit LogTail(std::string path) : path_(std::move(path)) {
    offset_ = std::filesystem::exists(path_) ? std::filesystem::file_size(path_) : 0;
  }
  // New complete lines since the last call.
  std::vector<std::string> poll() {
    std::ifstream in(path_, std::ios::binary);
    in.seekg(std::streamoff(offset_));
    std::string chunk((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    partial_ += chunk;
    offset_ += chunk.size();
    std::vector<std::string> lines;
    for (size_t nl; (nl = partial_.find('\n')) != std::string::npos;) {
      lines.push_back(partial_.substr(0, nl));
      partial_.erase(0, nl + 1);
    }
    return lines;
  }

 private:
  std::string path_;
  size_t offset_ = 0;
  std::string partial_;
};

// Per container, the time of the first line that ends its turn: attached, or an error.
struct LogWatch {
  std::map<std::string, double> doneMs;            // name -> ms from t0
  std::map<std::string, int> kinds;                // a container's lines, its name taken out
  std::optional<double> readyMs;                   // "ready: ..."
  std::vector<std::string> warnings;               // every warning or error line
  double lastLineMs = 0;
};

// Reads lines until every name has a done line (and, with `wantReady`, the ready line), or
// nothing new came for `quiet` after ready.
LogWatch watchLog(LogTail& tail, const std::vector<Box>& boxes, Clock::time_point t0,
                  const std::string& doneText, bool wantReady, std::chrono::seconds timeout,
                  std::chrono::seconds quiet) {
  LogWatch w;
  std::map<std::string, std::string> needle;  // "container NAME (" -> name
  for (const auto& b : boxes) needle["container " + b.name + " ("] = b.name;
  auto deadline = Clock::now() + timeout;
  auto lastNew = Clock::now();
  while ((w.doneMs.size() < boxes.size() || (wantReady && !w.readyMs)) &&
         Clock::now() < deadline) {
    auto lines = tail.poll();
    double now = msSince(t0);
    if (!lines.empty()) lastNew = Clock::now();
    for (const auto& line : lines) {
      w.lastLineMs = now;
      if (line.find("warning: ") != std::string::npos || line.find("error: ") != std::string::npos)
        w.warnings.push_back(line);
      if (line.find("netvrfd: ready: ") != std::string::npos && !w.readyMs) w.readyMs = now;
      auto at = line.find("container rc-");
      if (at == std::string::npos) continue;
      auto paren = line.find(" (", at);
      if (paren == std::string::npos) continue;
      std::string key = line.substr(at, paren + 2 - at);
      auto it = needle.find(key);
      if (it == needle.end()) continue;
      const std::string& name = it->second;
      // One kind per wording: the container's name, id and entry taken out.
      std::string kind = line.substr(0, at) + "container <name> (...)";
      auto close = line.find(')', paren);
      if (close != std::string::npos) kind += line.substr(close + 1);
      for (size_t p; (p = kind.find("/netns/" + name)) != std::string::npos;)
        kind.replace(p, 7 + name.size(), "/netns/<name>");
      ++w.kinds[kind];
      bool done = line.find(doneText) != std::string::npos ||
                  line.find(": not attached") != std::string::npos;
      if (done && !w.doneMs.count(name)) w.doneMs[name] = now;
    }
    if (w.readyMs && Clock::now() - lastNew > quiet) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return w;
}

void printKinds(const LogWatch& w) {
  for (const auto& [kind, n] : w.kinds) std::printf("    %4d x %s\n", n, kind.c_str());
  for (size_t i = 0; i < w.warnings.size() && i < 5; ++i)
    std::printf("    warning line: %s\n", w.warnings[i].c_str());
  if (w.warnings.size() > 5) std::printf("    ... %zu warning lines in all\n", w.warnings.size());
}

// --- A container's state as iproute2 shows it.

// Several JSON documents, one after the other (ip -j -batch prints one per command).
std::vector<json> parseAll(const std::string& text) {
  std::vector<json> docs;
  std::istringstream in(text);
  while (in >> std::ws && in.peek() != EOF) {
    json j;
    in >> j;
    docs.push_back(std::move(j));
  }
  return docs;
}

std::string batchV4, batchV6;  // files with the commands below

struct Snapshot {
  json state;  // {"links": [...], "routes4", "rules4", "routes6", "rules6"}
  std::string error;
};

Snapshot snapshot(Box& b) {
  Snapshot s;
  auto ip = [&](std::vector<std::string> args) {
    return runInNetns(b.ns.get(), [&] { return netvrf::test::run(args); });
  };
  Result v4 = ip({"ip", "-j", "-d", "-batch", batchV4});
  Result v6 = ip({"ip", "-6", "-j", "-batch", batchV6});
  if (v4.status != 0 || v6.status != 0) {
    s.error = trim(v4.out + v6.out);
    return s;
  }
  try {
    auto d4 = parseAll(v4.out), d6 = parseAll(v6.out);
    if (d4.size() != 3 || d6.size() != 2) throw std::runtime_error("unexpected ip output");
    json links = json::array();
    for (const auto& l : d4[0]) {
      json k = {{"ifname", l.value("ifname", "")}, {"ifindex", l.value("ifindex", 0)},
                {"master", l.value("master", "")},  {"flags", l.value("flags", json::array())},
                {"ifalias", l.value("ifalias", "")}};
      if (l.contains("linkinfo")) {
        k["kind"] = l["linkinfo"].value("info_kind", "");
        if (l["linkinfo"].contains("info_data") && l["linkinfo"]["info_data"].contains("table"))
          k["table"] = l["linkinfo"]["info_data"]["table"];
      }
      links.push_back(k);
    }
    s.state = {{"links", links}, {"routes4", d4[1]}, {"rules4", d4[2]},
               {"routes6", d6[0]}, {"rules6", d6[1]}};
  } catch (const std::exception& e) {
    s.error = e.what();
  }
  return s;
}

// Of the first `count` boxes (all by default).
std::vector<Snapshot> snapshotAll(std::vector<Box>& boxes, const char* what, size_t count = 0) {
  auto t0 = Clock::now();
  if (count == 0 || count > boxes.size()) count = boxes.size();
  std::vector<Snapshot> snaps(count);
  std::atomic<int> done{0};
  parallelFor(int(count), kParallelSnaps, [&](int i) {
    snaps[size_t(i)] = snapshot(boxes[size_t(i)]);
    if (int d = ++done; d % 50 == 0) say("  snapshot %s: %d/%zu\n", what, d, count);
  });
  say("  snapshot %s: %zu containers in %.1f s\n", what, count, msSince(t0) / 1000);
  return snaps;
}

// The same state without ifindexes (a VRF made again has a new one), netvrfd's ownership mark
// (ifalias "netvrf" on its VRFs) and who added a rule (the kernel or a tool): to compare two
// methods.
json withoutIndexes(json s) {
  for (auto& l : s["links"]) {
    l.erase("ifindex");
    l.erase("ifalias");
  }
  std::sort(s["links"].begin(), s["links"].end(),
            [](const json& a, const json& b) { return a["ifname"] < b["ifname"]; });
  for (const char* k : {"rules4", "rules6"})
    for (auto& r : s[k]) r.erase("protocol");
  return s;
}

std::string differingParts(const json& a, const json& b) {
  std::string out;
  for (const char* k : {"links", "routes4", "rules4", "routes6", "rules6"})
    if (a.value(k, json()) != b.value(k, json())) out += (out.empty() ? "" : ", ") + std::string(k);
  return out;
}

int countDiffering(const std::vector<Snapshot>& a, const std::vector<Snapshot>& b,
                   bool ignoreIndexes, std::string* first) {
  int n = 0;
  for (size_t i = 0; i < a.size(); ++i) {
    json x = ignoreIndexes ? withoutIndexes(a[i].state) : a[i].state;
    json y = ignoreIndexes ? withoutIndexes(b[i].state) : b[i].state;
    if (a[i].error.empty() && b[i].error.empty() && x == y) continue;
    ++n;
    if (first && first->empty())
      *first = "#" + std::to_string(i) + ": " +
               (a[i].error.empty() && b[i].error.empty() ? differingParts(x, y)
                                                         : a[i].error + " / " + b[i].error) +
               "\n      before: " + x.dump() + "\n      after:  " + y.dump();
  }
  return n;
}

// The table of VRF `vrf` in a snapshot, and the default gateway in it.
uint32_t tableOf(const json& s, const std::string& vrf) {
  for (const auto& l : s["links"])
    if (l["ifname"] == vrf && l.contains("table")) return l["table"].get<uint32_t>();
  return 0;
}
std::string gatewayIn(const json& s, uint32_t table) {
  for (const auto& r : s["routes4"])
    if (r.value("dst", "") == "default" && r.contains("gateway") &&
        r.value("table", "") == std::to_string(table))
      return r["gateway"];
  return "";
}

// --- The by-hand move.

// What a careful user types to move a namespace's eth0 from VRF `from` to `to` (table `table`),
// ending where netvrfd ends (checked against its result): the new VRF up, eth0 moved, the
// default route back in the new table, unreachable defaults so lookups stop there, the rule
// for unbound sockets pointed at the new table, the old VRF and its table's defaults gone.
// Two batches, because `ip -batch` cannot switch address family and the IPv6 rule needs `ip -6`
// (`from ::/0` still gives an IPv4 rule).
std::string moveBatch(const std::string& from, uint32_t fromTable, const std::string& to,
                      uint32_t table, const std::string& gateway) {
  std::string t = std::to_string(table), ft = std::to_string(fromTable);
  return "link add " + to + " type vrf table " + t + "\n" +
         "link set " + to + " up\n" +
         "link set eth0 master " + to + "\n" +
         "route add default via " + gateway + " dev eth0 table " + t + "\n" +
         "route add unreachable default metric 4278198272 table " + t + "\n" +
         "route add unreachable ::/0 metric 4278198272 table " + t + "\n" +
         "rule del pref 2000\n" +
         "rule add pref 2000 lookup " + t + "\n" +
         "link del " + from + "\n" +
         "route del unreachable default metric 4278198272 table " + ft + "\n" +
         "route del unreachable ::/0 metric 4278198272 table " + ft + "\n";
}
std::string moveBatch6(uint32_t table) {
  return "rule del pref 2000\nrule add pref 2000 lookup " + std::to_string(table) + "\n";
}

struct ByHand {
  double totalMs = 0;
  std::vector<double> perNsMs;  // each namespace's two ip processes, spawn to exit
  int failed = 0;
  std::string firstError;
  Counts counts;
};

ByHand moveByHand(std::vector<Box>& boxes, Monitor& monitor, const std::string& batchFile,
                  const std::string& batch6File, const std::string& to) {
  ByHand h;
  auto t0 = Clock::now();
  monitor.begin(to, t0);
  for (size_t i = 0; i < boxes.size(); ++i) {
    auto c0 = Clock::now();
    Result r = runInNetns(boxes[i].ns.get(), [&] {
      Result v4 = netvrf::test::run({"ip", "-force", "-batch", batchFile});
      Result v6 = netvrf::test::run({"ip", "-6", "-force", "-batch", batch6File});
      return v4.status != 0 ? v4 : v6;
    });
    h.perNsMs.push_back(msSince(c0));  // both processes
    if (r.status != 0 && ++h.failed == 1) h.firstError = boxes[i].name + ": " + trim(r.out);
    if ((i + 1) % 50 == 0) say("  by hand to %s: %zu/%zu\n", to.c_str(), i + 1, boxes.size());
  }
  h.totalMs = msSince(t0);
  std::this_thread::sleep_for(std::chrono::seconds(2));  // late notifications
  h.counts = monitor.counts();
  return h;
}

std::string describeCounts(const Counts& c) {
  std::string out = std::to_string(c.total) + " in " + std::to_string(c.containers) +
                    " namespaces";
  std::string kinds;
  for (const auto& [k, v] : c.byType) kinds += (kinds.empty() ? "" : ", ") + k + " " + std::to_string(v);
  if (!kinds.empty()) out += " (" + kinds + ")";
  if (c.overflows) out += "; " + std::to_string(c.overflows) + " overflows (some lost)";
  return out;
}

// Per-container completion times (ms from t0) from the monitor, else from a kernel poll.
std::vector<double> completionTimes(std::vector<Box>& boxes, Monitor& monitor) {
  std::vector<double> ms;
  for (size_t i = 0; i < boxes.size(); ++i)
    if (auto t = monitor.masterSeen(i)) ms.push_back(*t);
  return ms;
}

void writeConfigPolicy(const Netvrfd& d, const std::string& vrf) {
  std::string path = d.dir() + "/netvrfd.json";
  json config = json::parse(std::ifstream(path));
  config["policies"] = json::array({{{"match", {{"name", "rc-*"}}}, {"vrf", vrf}}});
  std::string tmp = path + ".new";
  std::ofstream(tmp) << config.dump(2);
  std::filesystem::rename(tmp, path);
}

}  // namespace

int main(int argc, char** argv) {
  int n = 200;
  if (argc > 2 || (argc == 2 && (std::atoi(argv[1]) < 1 || std::atoi(argv[1]) > kMaxN))) {
    std::fprintf(stderr, "usage: bench_reconcile [N]   (1 <= N <= %d, default 200)\n", kMaxN);
    return 2;
  }
  if (argc == 2) n = std::atoi(argv[1]);
  if (auto why = netvrf::test::missingVrf()) {
    std::fprintf(stderr, "bench/reconcile: %s; run it through scripts/bench reconcile\n",
                 why->c_str());
    return 2;
  }
  if (auto why = netvrf::test::missingDocker()) {
    std::fprintf(stderr, "bench/reconcile: %s; run it through scripts/bench reconcile\n",
                 why->c_str());
    return 2;
  }
  auto runStart = Clock::now();
  std::string guestLoad = trim(readFile("/proc/loadavg"));
  const char* hostLoad = std::getenv("NETVRF_BENCH_HOST_LOAD");
  std::string cpu = cpuModel();
  std::string accel = cpu.find("TCG") != std::string::npos ? "TCG" : "not TCG (" + cpu + ")";

  netvrf::test::TempDir scratch;
  batchV4 = scratch.path() + "/snap4.batch";
  batchV6 = scratch.path() + "/snap6.batch";
  std::ofstream(batchV4) << "link show\nroute show table all\nrule show\n";
  std::ofstream(batchV6) << "route show table all\nrule show\n";

  // 1. netvrfd with the policy; N containers started, 8 at a time.
  Netvrfd d(json{{"policies", json::array({{{"match", {{"name", "rc-*"}}}, {"vrf", "red"}}})}}
                .dump());
  if (!d.startReady()) {
    std::fprintf(stderr, "bench/reconcile: netvrfd did not start:\n%s", d.log().c_str());
    return 1;
  }
  std::vector<Box> boxes(static_cast<size_t>(n));
  for (int i = 0; i < n; ++i) {
    char name[16];
    std::snprintf(name, sizeof name, "rc-%04d", i + 1);
    boxes[size_t(i)].name = name;
  }
  say("starting %d containers, %d at a time (guest load %s)\n", n, kParallelRuns,
      guestLoad.c_str());
  auto t0 = Clock::now();
  std::atomic<int> started{0}, failedRuns{0};
  std::mutex errMutex;
  std::string firstRunError;
  parallelFor(n, kParallelRuns, [&](int i) {
    Result r = docker({"run", "-d", "--name", boxes[size_t(i)].name, "--network", "bridge",
                       netvrf::test::testImage(), "sleep", "86400"});
    if (r.status != 0) {
      ++failedRuns;
      std::lock_guard lock(errMutex);
      if (firstRunError.empty()) firstRunError = boxes[size_t(i)].name + ": " + trim(r.out);
    }
    if (int s = ++started; s % 10 == 0 || s == n)
      say("  %d/%d started (%.0f s)\n", s, n, msSince(t0) / 1000);
  });
  double startSeconds = msSince(t0) / 1000;
  auto cleanupContainers = [&] {
    say("removing the containers\n");
    auto c0 = Clock::now();
    std::vector<std::vector<std::string>> chunks(kParallelRuns);
    for (size_t i = 0; i < boxes.size(); ++i) chunks[i % kParallelRuns].push_back(boxes[i].name);
    parallelFor(kParallelRuns, kParallelRuns, [&](int k) {
      std::vector<std::string> args{"rm", "-f"};
      args.insert(args.end(), chunks[size_t(k)].begin(), chunks[size_t(k)].end());
      if (chunks[size_t(k)].size()) docker(args);
    });
    Result left = docker({"ps", "-aq", "--filter", "name=rc-"});
    say("  removed in %.1f s; left: %s\n", msSince(c0) / 1000,
        trim(left.out).empty() ? "none" : trim(left.out).c_str());
    return trim(left.out).empty();
  };
  if (failedRuns) {
    std::fprintf(stderr, "bench/reconcile: %d docker runs failed; first: %s\n", failedRuns.load(),
                 firstRunError.c_str());
    cleanupContainers();
    return 1;
  }

  // Their namespaces, a query socket and a notification socket in each.
  std::vector<std::string> inspect{"inspect", "-f", "{{.Name}} {{.State.Pid}}"};
  for (const auto& b : boxes) inspect.push_back(b.name);
  Result pids = docker(inspect);
  std::map<std::string, pid_t> pidOf;
  std::istringstream pin(pids.out);
  for (std::string nm; pin >> nm;) pin >> pidOf[nm.substr(1)];
  for (auto& b : boxes) {
    b.pid = pidOf[b.name];
    b.ns.reset(open(("/proc/" + std::to_string(b.pid) + "/ns/net").c_str(), O_RDONLY | O_CLOEXEC));
    if (!b.pid || !b.ns) {
      std::fprintf(stderr, "bench/reconcile: no namespace for %s\n", b.name.c_str());
      cleanupContainers();
      return 1;
    }
    runInNetns(b.ns.get(), [&] {
      b.query = netvrf::connectRoute();
      b.monitor = openMonitorSocket();
    });
  }
  Monitor monitor(boxes);
  say("waiting until every eth0 has master red\n");
  int inRed = waitMasters(boxes, "red", std::chrono::seconds(120 + 2 * n));
  double inRedSeconds = msSince(t0) / 1000;
  say("  %d/%d in red after %.1f s from the first docker run\n", inRed, n, inRedSeconds);
  std::this_thread::sleep_for(std::chrono::seconds(3));  // netvrfd's last log lines, settle
  if (inRed != n) {
    std::fprintf(stderr, "bench/reconcile: not all in red; netvrfd's log:\n%s", d.log().c_str());
    cleanupContainers();
    return 1;
  }

  // 2. SIGKILL, start again: time until every container is checked; nothing may change.
  auto before = snapshotAll(boxes, "before the restart");
  say("netvrfd: SIGKILL, start again\n");
  d.signal(SIGKILL);
  d.wait();
  LogTail restartLog(d.dir() + "/netvrfd.log");
  for (size_t i = 0; i < boxes.size(); ++i) monitor.setNames(i, linkNames(boxes[i].query.get()));
  auto tRestart = Clock::now();
  monitor.begin("", tRestart);
  d.start();
  LogWatch restart = watchLog(restartLog, boxes, tRestart, ": attached to VRF red", true,
                              std::chrono::seconds(300 + 3 * n), std::chrono::seconds(60));
  std::vector<double> checkedMs;
  for (const auto& [name, ms] : restart.doneMs) checkedMs.push_back(ms);
  double restartCheck = checkedMs.empty() ? 0 : *std::max_element(checkedMs.begin(), checkedMs.end());
  say("  %zu/%d checked, the last %.0f ms after the start\n", restart.doneMs.size(), n,
      restartCheck);
  std::this_thread::sleep_for(std::chrono::seconds(3));  // late notifications
  Counts restartCounts = monitor.counts();
  auto after = snapshotAll(boxes, "after the restart");
  std::string firstDiff;
  int changed = countDiffering(before, after, false, &firstDiff);

  // 3. The policy moves to green; SIGHUP: time until every eth0 has master green.
  say("policy -> green, SIGHUP\n");
  writeConfigPolicy(d, "green");
  LogTail reloadLog(d.dir() + "/netvrfd.log");
  for (size_t i = 0; i < boxes.size(); ++i) monitor.setNames(i, linkNames(boxes[i].query.get()));
  auto tReload = Clock::now();
  monitor.begin("green", tReload);
  d.signal(SIGHUP);
  int inGreen = 0;
  auto reloadDeadline = Clock::now() + std::chrono::seconds(300 + 3 * n);
  while (Clock::now() < reloadDeadline) {
    inGreen = int(completionTimes(boxes, monitor).size());
    if (inGreen == n) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  LogWatch reload = watchLog(reloadLog, boxes, tReload, ": attached to VRF green", false,
                             std::chrono::seconds(120), std::chrono::seconds(10));
  int polledGreen = waitMasters(boxes, "green", std::chrono::seconds(5));
  std::this_thread::sleep_for(std::chrono::seconds(2));
  Counts reloadCounts = monitor.counts();
  auto moveTimes = completionTimes(boxes, monitor);
  auto movePct = netvrf::bench::percentiles(moveTimes);
  std::vector<double> reloadLogMs;
  for (const auto& [name, ms] : reload.doneMs) reloadLogMs.push_back(ms);
  double reloadLastLog =
      reloadLogMs.empty() ? 0 : *std::max_element(reloadLogMs.begin(), reloadLogMs.end());
  say("  %d/%d green by notification (%.0f ms), %d/%d by a poll; netvrfd's last 'attached' line "
      "%.0f ms\n", inGreen, n, movePct.max, polledGreen, n, reloadLastLog);
  auto afterReload = snapshotAll(boxes, "after the reload", kCompared);

  // 4. netvrfd stops (its VRFs stay); by hand: green -> red, then red -> green.
  say("netvrfd: SIGTERM\n");
  int daemonExit = d.stop();
  int stillGreen = waitMasters(boxes, "green", std::chrono::seconds(1));
  uint32_t redTable = tableOf(before[0].state, "red");
  uint32_t greenTable = tableOf(afterReload[0].state, "green");
  std::string gateway = gatewayIn(before[0].state, redTable);
  std::string toRed = scratch.path() + "/to-red.batch", toGreen = scratch.path() + "/to-green.batch";
  std::ofstream(toRed) << moveBatch("green", greenTable, "red", redTable, gateway);
  std::ofstream(toGreen) << moveBatch("red", redTable, "green", greenTable, gateway);
  std::string toRed6 = toRed + "6", toGreen6 = toGreen + "6";
  std::ofstream(toRed6) << moveBatch6(redTable);
  std::ofstream(toGreen6) << moveBatch6(greenTable);
  say("by hand (tables red %u, green %u, gateway %s): green -> red, then red -> green\n",
      redTable, greenTable, gateway.c_str());
  ByHand back = moveByHand(boxes, monitor, toRed, toRed6, "red");
  int handRed = waitMasters(boxes, "red", std::chrono::seconds(1));
  auto afterHandRed = snapshotAll(boxes, "after by hand to red", kCompared);
  ByHand forth = moveByHand(boxes, monitor, toGreen, toGreen6, "green");
  int handGreen = waitMasters(boxes, "green", std::chrono::seconds(1));
  auto handTimes = completionTimes(boxes, monitor);
  auto handPct = netvrf::bench::percentiles(handTimes);
  auto afterHand = snapshotAll(boxes, "after by hand to green", kCompared);
  std::string firstHandDiff, firstRedDiff;
  int handVsNetvrfd = countDiffering(afterReload, afterHand, true, &firstHandDiff);
  std::vector<Snapshot> beforeSample(before.begin(), before.begin() + long(afterHandRed.size()));
  int handRedVsNetvrfd = countDiffering(beforeSample, afterHandRed, true, &firstRedDiff);

  // Clean up.
  bool clean = cleanupContainers();
  int entriesLeft = 0;
  for (const auto& b : boxes) entriesLeft += netvrf::test::entryExists(b.name);
  double runSeconds = msSince(runStart) / 1000;

  auto pct = [](const std::vector<double>& v) { return netvrf::bench::percentiles(v); };
  auto checkedPct = pct(checkedMs);
  auto handPerNs = pct(forth.perNsMs);
  std::printf("\nbench/reconcile: %d containers (rc-*), one policy {name rc-*} -> red, then green\n", n);
  std::printf("  kernel %s, CPU \"%s\": %s; %d vCPUs\n", trim(netvrf::test::run({"uname", "-r"}).out).c_str(),
              cpu.c_str(), accel.c_str(), int(std::thread::hardware_concurrency()));
  std::printf("  load average at start: guest %s; host %s\n", guestLoad.c_str(),
              hostLoad ? hostLoad : "(not given)");
  std::printf("  %d docker run -d, %d at a time: %.0f s; all in red %.0f s after the first run\n",
              n, kParallelRuns, startSeconds, inRedSeconds);
  std::printf("\n  restart (SIGKILL, start): netvrfd's lines per container after the start:\n");
  printKinds(restart);
  std::printf("\n  reload (SIGHUP, policy -> green): netvrfd's lines per container:\n");
  printKinds(reload);
  std::printf("\n| figure | value |\n|---|---|\n");
  std::printf("| N containers | %d |\n", n);
  std::printf("| restart: READY=1 after start | %.0f ms |\n", restart.readyMs.value_or(-1));
  std::printf("| restart: every container checked (its 'attached to VRF red' line) | %.0f ms "
              "(%zu/%d; per container p50 %.0f, p99 %.0f ms) |\n",
              restartCheck, restart.doneMs.size(), n, checkedPct.p50, checkedPct.p99);
  std::printf("| restart: containers whose ip -j state changed | %d of %d |\n", changed, n);
  std::printf("| restart: netlink notifications in the containers' namespaces | %s |\n",
              describeCounts(restartCounts).c_str());
  std::printf("| reload: SIGHUP to every eth0 master green (notifications) | %.0f ms "
              "(%d/%d; per container p50 %.0f, p99 %.0f, max %.0f ms) |\n",
              movePct.max, inGreen, n, movePct.p50, movePct.p99, movePct.max);
  std::printf("| reload: SIGHUP to netvrfd's last 'attached to VRF green' line | %.0f ms (%zu/%d) |\n",
              reloadLastLog, reload.doneMs.size(), n);
  std::printf("| reload: eth0 master green by a kernel poll afterwards | %d of %d |\n", polledGreen, n);
  std::printf("| reload: netlink notifications | %s |\n", describeCounts(reloadCounts).c_str());
  std::printf("| by hand red -> green, ip -batch + ip -6 -batch per namespace, in turn | %.0f ms "
              "(every eth0 green by notification: p50 %.0f, p99 %.0f, max %.0f ms; per "
              "namespace p50 %.0f, p99 %.0f ms; %d failed) |\n",
              forth.totalMs, handPct.p50, handPct.p99, handPct.max, handPerNs.p50, handPerNs.p99,
              forth.failed);
  std::printf("| by hand green -> red (before it, same way) | %.0f ms (%d failed) |\n",
              back.totalMs, back.failed);
  std::printf("| by hand: notifications red -> green | %s |\n", describeCounts(forth.counts).c_str());
  std::printf("| by hand's end state unlike netvrfd's (ifindexes, ifalias, rule protocol aside) | "
              "green: %d of %zu; red: %d of %zu compared |\n",
              handVsNetvrfd, afterHand.size(), handRedVsNetvrfd, afterHandRed.size());
  std::printf("| load average at start | guest %s; host %s |\n", guestLoad.c_str(),
              hostLoad ? hostLoad : "(not given)");
  std::printf("| VM accelerator | %s |\n", accel.c_str());
  std::printf("\n  checks: in green after netvrfd stopped %d/%d; by hand in red %d/%d, in green "
              "%d/%d; netvrfd exit status %d; containers left: %s; entries left: %d; run %.0f s\n",
              stillGreen, n, handRed, n, handGreen, n, daemonExit, clean ? "none" : "SOME",
              entriesLeft, runSeconds);
  if (!firstDiff.empty()) std::printf("  first container changed by the restart %s\n", firstDiff.c_str());
  if (!firstHandDiff.empty())
    std::printf("  first by-hand green state unlike netvrfd's %s\n", firstHandDiff.c_str());
  if (!firstRedDiff.empty())
    std::printf("  first by-hand red state unlike netvrfd's %s\n", firstRedDiff.c_str());
  if (!back.firstError.empty()) std::printf("  by hand to red, first error: %s\n", back.firstError.c_str());
  if (!forth.firstError.empty())
    std::printf("  by hand to green, first error: %s\n", forth.firstError.c_str());
  std::printf("  table %u of rc-0001 after netvrfd's reload: %s\n", greenTable,
              [&] {
                std::string s;
                for (const auto& r : afterReload[0].state["routes4"])
                  if (r.value("table", "") == std::to_string(greenTable))
                    s += (s.empty() ? "" : ", ") + r.value("type", std::string("unicast")) + " " +
                         r.value("dst", "?") + (r.contains("gateway") ? " via " + r["gateway"].get<std::string>() : "");
                return s;
              }().c_str());

  bool ok = restart.doneMs.size() == size_t(n) && changed == 0 && inGreen == n &&
            polledGreen == n && handGreen == n && clean && entriesLeft == 0 && daemonExit == 0;
  return ok ? 0 : 1;
}
