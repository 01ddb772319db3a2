#pragma once

// A CNI conflist run as a runtime runs it (libcni's order; Debian ships no cnitool): ADD through
// the plugins in order, each given the one before's result as prevResult; CHECK through them
// in order with the final result; DEL in reverse. Only the capabilities a plugin declares reach
// its runtimeConfig. Real plugin binaries, real namespaces.

#include <nlohmann/json.hpp>

#include <string>
#include <vector>

namespace netvrf::test {

struct CniCall {
  int status = -1;     // the exit status of the plugin that ended the call
  std::string plugin;  // which one ("bridge", "netvrf")
  nlohmann::json out;  // its stdout, parsed (a result or the spec's error object); null if none
  std::string stdoutText;
  std::string stderrText;
  bool ok() const { return status == 0; }
};

struct CniInvocation {
  std::string containerId = "netvrf-test";
  std::string netns;  // a path; empty for a DEL without one
  std::string ifname = "eth0";
  std::string args;  // CNI_ARGS
  nlohmann::json runtimeConfig = nlohmann::json::object();
  std::vector<std::string> env;  // more of the environment ("DBUS_SYSTEM_BUS_ADDRESS=...")
};

class CniChain {
 public:
  // `path`: where the plugins are (CNI_PATH), searched in order.
  CniChain(nlohmann::json conflist, std::vector<std::string> path);

  CniCall add(const CniInvocation& inv);  // keeps the final result for check() and del()
  CniCall check(const CniInvocation& inv);
  CniCall del(const CniInvocation& inv);
  const nlohmann::json& result() const { return result_; }

  // One plugin, as given: `config` on stdin, CNI_COMMAND `command`.
  CniCall call(const std::string& command, const nlohmann::json& config,
               const CniInvocation& inv) const;
  // What plugin `i` gets on stdin: its own keys, the list's name and version, prevResult and
  // the runtimeConfig of the capabilities it declares.
  nlohmann::json configFor(size_t i, const nlohmann::json& prevResult,
                           const nlohmann::json& runtimeConfig) const;

 private:
  nlohmann::json conflist_;
  std::vector<std::string> path_;
  nlohmann::json result_;
};

// Where this build's netvrf plugin is, and Debian's plugins (containernetworking-plugins).
std::string netvrfPluginDir();
inline constexpr const char* kDebianCniDir = "/usr/lib/cni";

}  // namespace netvrf::test
