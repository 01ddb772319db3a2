#pragma once

#include <map>
#include <nlohmann/json_fwd.hpp>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "runtime/container_event.hpp"

namespace netvrf {

// Which containers a policy is for. Every key given must hold; globs are fnmatch(3)'s.
struct PolicyMatch {
  std::optional<std::string> name;                 // glob on the container's name
  std::optional<std::string> image;                // glob on the image as the runtime names it
  std::optional<std::string> label;                // "key=value", or "key": present
  std::optional<std::string> composeProject;       // glob on com.docker.compose.project
  std::optional<std::string> composeService;       // glob on com.docker.compose.service
  std::optional<std::string> containerdNamespace;  // glob on a containerd task's namespace
  std::optional<std::string> podNamespace;         // glob on io.kubernetes.pod.namespace
  std::optional<std::string> runtime;              // glob on docker, podman, containerd, ...
  bool operator==(const PolicyMatch&) const = default;
};

// One entry of the configuration's "policies": containers it matches are attached as if they
// carried the netvrf.* labels its options stand for ("vrf": "red" is netvrf.vrf=red). Labels,
// stored requests and temporary requests come before any policy; the first matching policy
// wins.
struct Policy {
  PolicyMatch match;
  std::map<std::string, std::string> labels;  // netvrf.vrf, netvrf.table, ... as labels say them
  bool operator==(const Policy&) const = default;
};

// A policy that cannot be used: `key` is where, inside the policy ("match.image", "table").
class PolicyError : public std::runtime_error {
 public:
  PolicyError(std::string where, const std::string& why)
      : std::runtime_error(why), key(std::move(where)) {}
  std::string key;
};

// Reads one policy; throws PolicyError for an unknown key, a wrong type, a match without keys,
// a policy that asks for nothing, or values the labels they stand for would refuse.
Policy parsePolicy(const nlohmann::json& j);

bool matches(const PolicyMatch& m, const ContainerInfo& info);

// The first policy that matches `info`, or nothing.
std::optional<size_t> firstMatch(const std::vector<Policy>& policies, const ContainerInfo& info);

}  // namespace netvrf
