#pragma once

#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "targets/policy.hpp"

namespace netvrf {

// A configuration that cannot be used. The message is one line that names the file and the key.
class ConfigError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// A Docker-compatible API on a unix socket (Podman's, a second dockerd...), watched as a runtime
// of its own name.
struct EngineEndpoint {
  std::string name;  // the runtime's name in listings and records: [a-z0-9-], 1 to 32
  std::string socket;
  bool operator==(const EngineEndpoint&) const = default;
};

struct DockerConfig {
  bool enabled = true;  // the Docker engine at `socket`, as runtime "docker"
  std::string socket = "/var/run/docker.sock";
  // More Docker-compatible engines, watched at the same time (each one optional).
  std::vector<EngineEndpoint> endpoints{{"podman", "/run/podman/podman.sock"}};
};

struct ContainerdConfig {
  bool enabled = true;
  std::string socket = "/run/containerd/containerd.sock";
  // The containerd namespaces to follow; empty: all (moby, Docker's own, is skipped while
  // the Docker watcher runs).
  std::vector<std::string> namespaces;
};

struct VrfConfig {
  // Which table each VRF name got, so that VRF red keeps its table (persistent, not tmpfs).
  std::string tableFile = "/var/lib/netvrf/tables.json";
  // The same map for iproute2, so `ip route show table red` works.
  std::string rtTablesFile = "/etc/iproute2/rt_tables.d/netvrf.conf";
  // What users asked for with netvrfctl attach/detach, applied again whenever a container of
  // that name starts (persistent, not tmpfs).
  std::string requestsFile = "/var/lib/netvrf/requests.json";
  uint32_t tableFirst = 1001;  // tables netvrf hands out when none is given
  uint32_t tableLast = 1999;
};

struct ApiConfig {
  // Members of this group may call the D-Bus methods that change something, as root may;
  // empty: root only.
  std::string group;
};

// Every field has a default, so netvrfd runs without a configuration file.
struct Config {
  std::string netnsDir = "/var/run/netns";  // where iproute2 looks for named namespaces
  std::string stateDir = "/run/netvrf";     // ownership records; tmpfs, gone with the mounts
  std::string nameTemplate = "{name}";      // {name}, {id}, {shortid}, {ns}
  // Used when the preferred entry is taken by someone else; empty means skip the container.
  std::string fallbackTemplate = "{name}-{shortid}";
  bool cleanupOnExit = false;  // remove our entries when netvrfd stops
  std::string logLevel = "info";
  DockerConfig docker;
  ContainerdConfig containerd;
  VrfConfig vrf;
  ApiConfig api;
  // Containers a policy matches are attached as its options say, unless a request or their
  // own labels say otherwise (targets/policy.hpp). Reloadable.
  std::vector<Policy> policies;
};

inline constexpr const char* kDefaultConfigPath = "/etc/netvrf/netvrfd.json";

// Parses a JSON document; `origin` (a path) prefixes every error message.
Config parseConfig(std::string_view text, std::string_view origin);

// A reload (SIGHUP, Reload()): copies into `live` what a running netvrfd can change (log_level,
// name_template, fallback_template, cleanup_on_exit, api.group, policies) and returns the keys that differ
// in `fresh` but take effect only after a restart.
std::vector<std::string> applyReload(Config& live, const Config& fresh);

// Reads `path`; without one, reads kDefaultConfigPath if it exists, else returns the defaults.
Config loadConfig(const std::optional<std::string>& path);

}  // namespace netvrf
