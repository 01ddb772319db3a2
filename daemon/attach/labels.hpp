#pragma once

#include <map>
#include <optional>
#include <stdexcept>
#include <string>

#include "attach/inside.hpp"

namespace netvrf {

// The container labels that attach a container to a VRF when it starts:
//   netvrf.vrf=red              the VRF (inside the container's namespace); required
//   netvrf.table=1001           its table; default: the one netvrf keeps for that name
//   netvrf.interfaces=eth0,eth1 the interfaces to enslave; default: all but loopback
//   netvrf.strict=true          leave processes that bind to no VRF outside it
inline constexpr const char* kVrfLabel = "netvrf.vrf";

class LabelError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// The attach the labels ask for; nothing without netvrf.vrf. Throws LabelError naming the
// label for a value that cannot be used (another netvrf.* label is an error too: a typo must
// not silently do nothing).
std::optional<InsideRequest> attachFromLabels(const std::map<std::string, std::string>& labels);

}  // namespace netvrf
