#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "common/log.hpp"
#include "netns/pin.hpp"

namespace netvrf {

// What a runtime watcher reports to the manager. Watchers gather facts (and pin namespaces) on
// their own threads; the manager decides what to do with them on the loop thread.

// One of the runtime's networks a container is on, and the MAC address of its interface there
// (the runtime does not say the interface's name).
struct ContainerNetwork {
  std::string id;
  std::string name;
  std::string mac;
  std::string ipv4;  // its addresses there, without prefix; empty: none
  std::string ipv6;
  bool operator==(const ContainerNetwork&) const = default;
};

// A port the runtime publishes on the host for the container (`-p 8082:80/udp`), one per host
// address it binds: Docker lists 0.0.0.0 and :: apart.
struct PublishedPort {
  std::string proto;  // "tcp", "udp", "sctp"
  uint16_t port = 0;  // the container's
  std::string hostIp;  // "0.0.0.0", "::" (every address of that family) or one address
  uint16_t hostPort = 0;
  bool operator==(const PublishedPort&) const = default;
};

struct ContainerInfo {
  std::string runtime;  // "docker", ...
  std::string id;
  std::string name;
  std::map<std::string, std::string> labels;
  bool hostNetwork = false;                // shares the host's namespace: never registered
  std::string sharesWith;                  // id of the container whose namespace it joined, if any
  std::string image;                       // as the runtime names it ("nginx:1.25"); for policies
  std::vector<ContainerNetwork> networks;  // by name; Docker's and Podman's only
  std::vector<PublishedPort> ports;        // Docker's and Podman's only
};

// A running container, with its namespace pinned (or why that failed).
struct ContainerRunning {
  ContainerInfo info;
  std::optional<PinnedNetns> pin;
  std::string pinError;
  // Seen starting before the runtime's own report (Docker's containers from containerd's task
  // event): name, labels and image only, no networks or ports yet. The runtime's report
  // follows; an early one never replaces what a fuller one said.
  bool early = false;
};

// The runtime says the container stopped (or was removed): a hint to check its process.
struct ContainerStopped {
  std::string runtime;
  std::string id;
};

// Every container the runtime reports running, after a (re)connect.
struct RuntimeSynced {
  std::string runtime;
  std::vector<ContainerRunning> running;
};

// The runtime became unreachable (detail says why) or reachable again.
struct RuntimeAvailability {
  std::string runtime;
  bool available = false;
  std::string detail;
};

// A runtime's network that has a Linux bridge on the host (a Docker bridge network).
struct NetworkInfo {
  std::string runtime;
  std::string id;
  std::string name;
  std::string bridge;  // its Linux bridge on the host; empty for other drivers (macvlan...)
  std::map<std::string, std::string> labels;
  std::vector<std::string> subnets;  // "203.0.113.64/28", "2001:db8::/64"
};

struct NetworkSeen {
  NetworkInfo info;
};

struct NetworkGone {
  std::string runtime;
  std::string id;
};

// Every bridge network the runtime has, after a (re)connect.
struct NetworksSynced {
  std::string runtime;
  std::vector<NetworkInfo> networks;
};

// For log lines and journal fields: "container web1 (docker 3f2a9c1d0b7e)", "network lab
// (docker 5c1e..., bridge br-5c1e...)", and CONTAINER_ID=, CONTAINER_NAME=, RUNTIME=, NETNS=.
std::string describe(const ContainerInfo& info);
std::string describe(const NetworkInfo& network);
log::Fields fieldsOf(const ContainerInfo& info, const std::string& entry = {});

// "containerd:k8s.io" -> "k8s.io": a runtime with namespaces is named runtime:namespace.
std::string_view runtimeNamespace(std::string_view runtime);

using RuntimeEvent = std::variant<ContainerRunning, ContainerStopped, RuntimeSynced,
                                  RuntimeAvailability, NetworkSeen, NetworkGone, NetworksSynced>;

// One watcher per runtime. It posts RuntimeEvents through the sink given at construction,
// from its own threads.
class RuntimeWatcher {
 public:
  virtual ~RuntimeWatcher() = default;
  virtual void start() = 0;
  virtual void stop() = 0;
};

}  // namespace netvrf
