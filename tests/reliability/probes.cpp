#include "probes.hpp"

#include <signal.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include "harness.hpp"
#include "netns/ownership.hpp"

namespace netvrf::test {

namespace fs = std::filesystem;

std::map<std::string, RunningContainer> runningContainers(Docker& docker,
                                                           const std::string& prefix) {
  std::map<std::string, RunningContainer> out;
  Result r = docker.cli({"ps", "--no-trunc", "--format", "{{.Names}} {{.ID}}", "--filter",
                         "name=" + prefix});
  std::istringstream lines(r.out);
  for (std::string name, id; lines >> name >> id;) {
    if (!name.starts_with(prefix)) continue;
    out[name] = {id, docker.ns(name)};
  }
  return out;
}

std::map<std::string, std::optional<NsIdentity>> entriesWithPrefix(const std::string& prefix) {
  std::map<std::string, std::optional<NsIdentity>> out;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator("/var/run/netns", ec)) {
    std::string name = e.path().filename().string();
    if (name.starts_with(prefix)) out[name] = entryNs(name);
  }
  return out;
}

int mountsWithPrefix(const std::string& prefix) {
  std::ifstream in("/proc/self/mountinfo");
  int n = 0;
  for (std::string line; std::getline(in, line);) {
    std::istringstream fields(line);
    std::string id, parent, devno, root, point;
    fields >> id >> parent >> devno >> root >> point;
    if (point.starts_with("/run/netns/" + prefix)) ++n;
  }
  return n;
}

namespace {

Consistency compare(Docker& docker, const std::string& prefix, const std::string& stateDir,
                    const std::set<std::string>& foreign) {
  Consistency c;
  std::ostringstream detail;
  auto running = runningContainers(docker, prefix);
  auto entries = entriesWithPrefix(prefix);
  std::set<std::string> claimed;
  for (const auto& [name, ctr] : running) {
    if (!ctr.ns) continue;  // stopped between the two looks: its entry goes by itself
    std::string entry = name;
    if (foreign.count(name) || !entries.count(name)) entry = name + "-" + ctr.id.substr(0, 12);
    auto it = entries.find(entry);
    if (it == entries.end()) {
      ++c.lost;
      detail << " lost:" << name;
      continue;
    }
    claimed.insert(entry);
    if (it->second != ctr.ns) {
      ++c.wrong;
      detail << " wrong:" << entry;
    }
  }
  for (const auto& [entry, ns] : entries) {
    if (claimed.count(entry) || foreign.count(entry)) continue;
    ++c.stale;
    detail << " stale:" << entry;
  }
  OwnershipStore store(stateDir);
  for (const auto& rec : store.loadAll()) {
    if (!rec.entry.starts_with(prefix) || claimed.count(rec.entry)) continue;
    ++c.stale;
    detail << " record:" << rec.entry;
  }
  c.detail = detail.str();
  return c;
}

}  // namespace

Consistency settle(Docker& docker, const std::string& prefix, const std::string& stateDir,
                   const std::set<std::string>& foreign, std::chrono::seconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    Consistency c = compare(docker, prefix, stateDir, foreign);
    if (c.clean() || std::chrono::steady_clock::now() > deadline) return c;
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
}

int openFds(pid_t pid) {
  int n = 0;
  std::error_code ec;
  for (auto it = fs::directory_iterator("/proc/" + std::to_string(pid) + "/fd", ec);
       !ec && it != fs::directory_iterator(); it.increment(ec))
    ++n;
  return n;
}

int namespaceFds(pid_t pid) {
  int n = 0;
  std::error_code ec;
  for (auto it = fs::directory_iterator("/proc/" + std::to_string(pid) + "/fd", ec);
       !ec && it != fs::directory_iterator(); it.increment(ec)) {
    std::error_code lec;
    auto target = fs::read_symlink(it->path(), lec);
    if (!lec && target.string().starts_with("net:[")) ++n;
  }
  return n;
}

long rssKb(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  for (std::string line; std::getline(in, line);)
    if (line.starts_with("VmRSS:")) return std::stol(line.substr(6));
  return -1;
}

bool alive(pid_t pid) {
  if (pid <= 0 || kill(pid, 0) != 0) return false;
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string stat((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  auto paren = stat.rfind(')');
  return paren != std::string::npos && paren + 2 < stat.size() && stat[paren + 2] != 'Z';
}

}  // namespace netvrf::test
