#pragma once

#include <optional>
#include <string>

#include "attach/host_side.hpp"
#include "attach/inside.hpp"
#include "runtime/container_event.hpp"
#include "targets/policy.hpp"
#include "targets/requests.hpp"

namespace netvrf {

// Where what is wanted for a container comes from. One precedence, first wins: a temporary
// request (this instance only), a stored request (attach, or detach: stay out), the
// container's labels, the first policy of the configuration that matches it, nothing.
enum class WantSource {
  None,       // nothing asks for it
  Temporary,  // netvrfctl attach --temporary, for this instance of the container
  Request,    // a stored netvrfctl attach
  Detached,   // a stored netvrfctl detach: out, whatever the labels say
  Label,      // the container's netvrf.* labels
  Policy,     // a policy of the configuration file
};
const char* toString(WantSource s);  // "none", "temporary", "request", "detached", "label", "policy"

template <typename Request>
struct WantedPart {
  WantSource source = WantSource::None;
  std::optional<Request> request;  // what to attach; none: the part stays out
  std::string error;  // the labels cannot be used (one line naming the label); nothing wanted
  size_t policy = 0;  // which one, for WantSource::Policy
  // "request", "label", "policy 2"...: where it comes from, as people read it.
  std::string from() const;
};

struct Wanted {
  WantedPart<InsideRequest> inside;
  WantedPart<HostSideRequest> host;  // its hostIfname is set, from the container id
};

// What one instance of a container was asked for over the API with --temporary.
struct TemporaryRequests {
  std::optional<InsideRequest> inside;
  std::optional<HostSideRequest> host;
};

// What is wanted for container `info`: a pure function of the requests, the labels and the
// temporary requests, so it can be computed again whenever any of them changes.
Wanted wantedFor(const ContainerInfo& info, const RequestStore& requests,
                 const TemporaryRequests& temporary, const std::vector<Policy>& policies = {});

}  // namespace netvrf
