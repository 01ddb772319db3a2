#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace netvrf::ctrd {

// What netvrfd needs of a container's OCI runtime spec (Container.spec, JSON): whether it has a
// network namespace of its own, shares the host's, or joins an existing one (a Kubernetes pod's
// sandbox, pinned at /var/run/netns/cni-...; another container's /proc/PID/ns/net).
struct NetworkOfSpec {
  bool hostNetwork = false;         // no network entry in linux.namespaces
  std::optional<std::string> path;  // the namespace it joins, if any
};

// Throws std::runtime_error for a document that is not an OCI spec.
NetworkOfSpec networkOfSpec(std::string_view specJson);

}  // namespace netvrf::ctrd
