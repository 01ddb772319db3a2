#pragma once

// One invocation of the plugin as the runtime made it: the CNI_* environment and the network
// configuration on stdin, read and checked; and which VRF it asks for. Pure: the environment
// comes in as a function, so tests give their own.

#include <nlohmann/json.hpp>

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace netvrf::cni {

struct Request {
  std::string command;                      // CNI_COMMAND: ADD, DEL, CHECK or VERSION
  std::string containerId;                  // CNI_CONTAINERID
  std::string netns;                        // CNI_NETNS: a path; may be empty on DEL
  std::string ifname;                       // CNI_IFNAME
  std::map<std::string, std::string> args;  // CNI_ARGS ("K=V;K2=V2")
  nlohmann::json config;                    // stdin
  std::string version;                      // the configuration's cniVersion
};

using Environment = std::function<std::optional<std::string>(const std::string& name)>;

// Throws Error: kInvalidEnvironment (a variable the command needs is missing, CNI_ARGS is
// malformed), kDecodeFailure (stdin is not a JSON object), kIncompatibleVersion (a cniVersion
// this plugin does not speak), kInvalidConfig (a key of netvrf's own has the wrong type).
Request parseRequest(const Environment& env, const std::string& stdinText);

// Which VRF the container's interfaces go into, and how.
struct Choice {
  std::string vrf;   // empty: nothing asked for, the result passes through unchanged
  std::string from;  // where the name came from, for messages ("pod annotation netvrf.vrf")
  std::optional<uint64_t> table;        // given with the name; otherwise netvrf allocates one
  bool strict = false;                  // no l3mdev_accept, no rule for unbound sockets
  std::vector<std::string> interfaces;  // the configuration's "interfaces", else CNI_IFNAME
};

// First to last: `args.cni` (Multus' cni-args: "vrf", "table"), the pod annotation
// `netvrf.vrf` (runtimeConfig "io.kubernetes.cri.pod-annotations"), CNI_ARGS NETVRF_VRF, the
// configuration's "vrf" (with its "table"). Throws Error(kInvalidConfig) naming the source of
// a name or table that cannot be a VRF's.
Choice choose(const Request& r);

// The annotation and the CNI_ARGS key users set.
inline constexpr const char* kAnnotation = "netvrf.vrf";
inline constexpr const char* kAnnotationsCapability = "io.kubernetes.cri.pod-annotations";
inline constexpr const char* kArgsKey = "NETVRF_VRF";

}  // namespace netvrf::cni
