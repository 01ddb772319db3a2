#include "cni_runner.hpp"

#include <spawn.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <stdexcept>

#include "common/fd.hpp"

namespace netvrf::test {

namespace {

Fd memfd(const char* name) {
  Fd fd(memfd_create(name, MFD_CLOEXEC));
  if (!fd) throw std::runtime_error("memfd_create failed");
  return fd;
}

std::string readAll(int fd) {
  std::string out;
  lseek(fd, 0, SEEK_SET);
  char buf[4096];
  for (ssize_t n; (n = read(fd, buf, sizeof buf)) > 0;) out.append(buf, size_t(n));
  return out;
}

}  // namespace

std::string netvrfPluginDir() {
  // The VM's copy (tests/vm/vm-test --bin NETVRF_TEST_CNI_PLUGIN=...), named netvrf as well.
  const char* copy = std::getenv("NETVRF_TEST_CNI_PLUGIN");
  if (copy && *copy) return std::filesystem::path(copy).parent_path();
  return NETVRF_CNI_DIR;
}

CniChain::CniChain(nlohmann::json conflist, std::vector<std::string> path)
    : conflist_(std::move(conflist)), path_(std::move(path)) {}

nlohmann::json CniChain::configFor(size_t i, const nlohmann::json& prevResult,
                                   const nlohmann::json& runtimeConfig) const {
  nlohmann::json conf = conflist_["plugins"][i];
  conf["name"] = conflist_["name"];
  conf["cniVersion"] = conflist_["cniVersion"];
  if (!prevResult.is_null()) conf["prevResult"] = prevResult;
  nlohmann::json rc = nlohmann::json::object();
  if (auto caps = conf.find("capabilities"); caps != conf.end() && caps->is_object())
    for (const auto& [cap, on] : caps->items())
      if (on == true && runtimeConfig.contains(cap)) rc[cap] = runtimeConfig[cap];
  if (!rc.empty()) conf["runtimeConfig"] = rc;
  return conf;
}

CniCall CniChain::call(const std::string& command, const nlohmann::json& config,
                       const CniInvocation& inv) const {
  CniCall c;
  c.plugin = config.value("type", "");
  std::string binary;
  for (const auto& dir : path_)
    if (!c.plugin.empty() && std::filesystem::is_regular_file(dir + "/" + c.plugin)) {
      binary = dir + "/" + c.plugin;
      break;
    }
  if (binary.empty()) throw std::runtime_error("no CNI plugin '" + c.plugin + "' in CNI_PATH");
  std::string pathList;
  for (const auto& dir : path_) pathList += (pathList.empty() ? "" : ":") + dir;
  std::vector<std::string> env{"CNI_COMMAND=" + command,
                               "CNI_CONTAINERID=" + inv.containerId,
                               "CNI_NETNS=" + inv.netns,
                               "CNI_IFNAME=" + inv.ifname,
                               "CNI_ARGS=" + inv.args,
                               "CNI_PATH=" + pathList,
                               "PATH=/usr/sbin:/usr/bin:/sbin:/bin"};
  env.insert(env.end(), inv.env.begin(), inv.env.end());
  std::vector<char*> envp;
  for (auto& e : env) envp.push_back(e.data());
  envp.push_back(nullptr);

  Fd in = memfd("cni-stdin"), out = memfd("cni-stdout"), err = memfd("cni-stderr");
  std::string text = config.dump();
  if (write(in.get(), text.data(), text.size()) != ssize_t(text.size()))
    throw std::runtime_error("cannot write a plugin's stdin");
  lseek(in.get(), 0, SEEK_SET);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, in.get(), 0);
  posix_spawn_file_actions_adddup2(&actions, out.get(), 1);
  posix_spawn_file_actions_adddup2(&actions, err.get(), 2);
  char* argv[] = {binary.data(), nullptr};
  pid_t pid = 0;
  int r = posix_spawn(&pid, binary.c_str(), &actions, nullptr, argv, envp.data());
  posix_spawn_file_actions_destroy(&actions);
  if (r != 0) throw std::runtime_error("cannot run " + binary);
  int status = 0;
  waitpid(pid, &status, 0);
  c.status = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  c.stdoutText = readAll(out.get());
  c.stderrText = readAll(err.get());
  c.out = nlohmann::json::parse(c.stdoutText, nullptr, false);
  if (c.out.is_discarded()) c.out = nullptr;
  return c;
}

CniCall CniChain::add(const CniInvocation& inv) {
  nlohmann::json prev;
  CniCall last;
  for (size_t i = 0; i < conflist_["plugins"].size(); ++i) {
    last = call("ADD", configFor(i, prev, inv.runtimeConfig), inv);
    if (!last.ok()) return last;
    prev = last.out;
  }
  result_ = prev;
  return last;
}

CniCall CniChain::check(const CniInvocation& inv) {
  CniCall last;
  for (size_t i = 0; i < conflist_["plugins"].size(); ++i) {
    last = call("CHECK", configFor(i, result_, inv.runtimeConfig), inv);
    if (!last.ok()) return last;
  }
  return last;
}

CniCall CniChain::del(const CniInvocation& inv) {
  CniCall last;
  for (size_t i = conflist_["plugins"].size(); i-- > 0;) {
    last = call("DEL", configFor(i, result_, inv.runtimeConfig), inv);
    if (!last.ok()) return last;
  }
  return last;
}

}  // namespace netvrf::test
