// The test runtimes: the test dockerd through the docker CLI, the test containerd through ctr,
// the test Podman service through podman --remote.
#include <unistd.h>

#include <atomic>
#include <sstream>
#include <stdexcept>

#include "harness.hpp"

namespace netvrf::test {

std::optional<std::string> missingContainerd() {
  if (auto why = missingDocker()) return why;  // the test image comes from the test dockerd
  if (containerdSock().empty())
    return "needs the test containerd (NETVRF_TEST_CONTAINERD_SOCK unset); run it through "
           "scripts/test";
  if (run({"ctr", "-a", containerdSock(), "version"}).status != 0)
    return "the test containerd at " + containerdSock() + " does not answer";
  return std::nullopt;
}

Ctr::Ctr() : ns_("netvrf-test") {
  static bool imported = false;
  if (!imported) {
    Result r = run({"sh", "-c",
                    "docker -H unix://" + dockerSock() + " save " + testImage() +
                        " | ctr -a " + containerdSock() + " -n " + ns_ +
                        " images import --snapshotter native -"});
    if (r.status != 0) throw std::runtime_error("import the test image into containerd: " + r.out);
    imported = true;
  }
}

Ctr::~Ctr() {
  for (const auto& id : started_) {
    cli({"task", "kill", "-s", "KILL", id});
    waitUntil([&] { return cli({"task", "rm", "-f", id}).status == 0; }, std::chrono::seconds(5));
    cli({"containers", "rm", id});
  }
}

Result Ctr::cli(std::vector<std::string> args) {
  args.insert(args.begin(), {"ctr", "-a", containerdSock(), "-n", ns_});
  return run(args);
}

void Ctr::runDetached(const std::string& id, const std::vector<std::string>& args) {
  std::vector<std::string> argv{"run", "-d", "--snapshotter", "native"};
  argv.insert(argv.end(), args.begin(), args.end());
  argv.push_back("docker.io/" + testImage());
  argv.push_back(id);
  argv.insert(argv.end(), {"sleep", "3600"});
  Result r = cli(argv);
  if (r.status != 0) throw std::runtime_error("ctr run " + id + ": " + r.out);
  started_.push_back(id);
}

pid_t Ctr::pid(const std::string& id) {
  Result r = cli({"task", "ls"});
  std::istringstream lines(r.out);
  for (std::string task, pid, status; lines >> task >> pid >> status;)
    if (task == id && status == "RUNNING") return std::stoi(pid);
  return 0;
}

std::optional<std::string> missingDocker() {
  if (auto r = missingRoot()) return r;
  if (dockerSock().empty())
    return "needs the test dockerd (NETVRF_TEST_DOCKER_SOCK unset); run it through scripts/test";
  if (run({"curl", "-sf", "--unix-socket", dockerSock(), "http://localhost/_ping"}).status != 0)
    return "the test dockerd at " + dockerSock() + " does not answer";
  return std::nullopt;
}

std::optional<std::string> missingPodman() {
  if (auto why = missingRoot()) return why;
  if (podmanSock().empty())
    return "needs the test podman service (NETVRF_TEST_PODMAN_SOCK unset); run it through "
           "scripts/test";
  if (run({"curl", "-sf", "--unix-socket", podmanSock(), "http://localhost/_ping"}).status != 0)
    return "the test podman service at " + podmanSock() + " does not answer";
  return std::nullopt;
}

Docker::Docker() : Docker({"/usr/bin/docker", "-H", "unix://" + dockerSock()}, testImage()) {}

Docker::Docker(std::vector<std::string> cli, std::string image)
    : cli_(std::move(cli)), image_(std::move(image)) {}

// Podman names images it loaded from an archive under localhost/.
Docker Docker::podman() {
  return Docker({"podman", "--remote", "--url", "unix://" + podmanSock()},
                "localhost/" + testImage());
}

// podman rm -f stops with SIGTERM first and waits 10 s for it; docker rm -f kills at once.
std::vector<std::string> Docker::removeArgs(const std::string& name) const {
  if (cli_.front() == "podman") return {"rm", "-f", "-t", "0", name};
  return {"rm", "-f", name};
}

Docker::~Docker() {
  for (const auto& name : started_) cli(removeArgs(name));
  for (const auto& name : networks_) cli({"network", "rm", name});
}

std::string Docker::createNetwork(const std::string& name, const std::vector<std::string>& args) {
  std::vector<std::string> argv{"network", "create"};
  argv.insert(argv.end(), args.begin(), args.end());
  argv.push_back(name);
  Result r = cli(argv);
  if (r.status != 0) throw std::runtime_error("docker network create " + name + ": " + r.out);
  networks_.push_back(name);
  if (cli_.front() == "podman") return inspectNetwork(name, "{{.NetworkInterface}}");
  return "br-" + r.out.substr(0, 12);
}

std::string Docker::inspectNetwork(const std::string& name, const std::string& format) {
  Result r = cli({"network", "inspect", "-f", format, name});
  if (!r.out.empty() && r.out.back() == '\n') r.out.pop_back();
  return r.out;
}

Result Docker::cli(std::vector<std::string> args) {
  args.insert(args.begin(), cli_.begin(), cli_.end());
  return run(args);
}

std::string Docker::uniqueName(const std::string& stem) {
  static std::atomic<int> counter{0};
  return "nvt" + std::to_string(getpid()) + "-" + stem + std::to_string(++counter);
}

std::string Docker::runDetached(const std::string& name, const std::vector<std::string>& args,
                                const std::vector<std::string>& cmd) {
  std::vector<std::string> a{"run", "-d", "--name", name};
  a.insert(a.end(), args.begin(), args.end());
  a.push_back(image_);
  a.insert(a.end(), cmd.begin(), cmd.end());
  started_.push_back(name);
  Result r = cli(a);
  if (r.status != 0) throw std::runtime_error("docker run " + name + ": " + r.out);
  // The id is the last line (warnings come first).
  auto end = r.out.find_last_not_of('\n');
  auto start = r.out.rfind('\n', end);
  return r.out.substr(start == std::string::npos ? 0 : start + 1,
                      end - (start == std::string::npos ? 0 : start + 1) + 1);
}

void Docker::remove(const std::string& name) {
  Result r = cli(removeArgs(name));
  if (r.status != 0) throw std::runtime_error("docker rm " + name + ": " + r.out);
}

std::string Docker::inspect(const std::string& name, const std::string& format) {
  Result r = cli({"inspect", "-f", format, name});
  if (r.status != 0) return "";
  while (!r.out.empty() && r.out.back() == '\n') r.out.pop_back();
  return r.out;
}

pid_t Docker::pid(const std::string& name) {
  auto s = inspect(name, "{{.State.Pid}}");
  return s.empty() ? 0 : std::stoi(s);
}

std::optional<NsIdentity> Docker::ns(const std::string& name) {
  pid_t p = pid(name);
  if (p <= 0) return std::nullopt;
  return nsIdentityOfPath("/proc/" + std::to_string(p) + "/ns/net");
}

}  // namespace netvrf::test
