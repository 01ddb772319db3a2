#pragma once

#include <functional>
#include <map>
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
const char* toString(
    WantSource s);  // "none", "temporary", "request", "detached", "label", "policy"

template <typename Request>
struct WantedPart {
  WantSource source = WantSource::None;
  std::optional<Request> request;  // what to attach; none: the part stays out
  std::string error;  // the labels cannot be used (one line naming the label); nothing wanted
  size_t policy = 0;  // which one, for WantSource::Policy
  // "request", "label", "policy 2"...: where it comes from, as people read it.
  std::string from() const;
};

// A VRF inside the container for some of its interfaces: the one on each network labelled
// netvrf.container_vrf (by the MAC the runtime gives it), each one a label netvrf.vrf.<interface>
// names. Beside the VRF of the part above, which takes the interfaces these leave.
struct InterfaceVrf {
  InsideRequest request;          // strict unless it is the default (below)
  std::vector<std::string> from;  // "network lab", "label netvrf.vrf.eth1"
  bool claimsDefault = false;     // its network or label says netvrf.default=true
};

struct Wanted {
  WantedPart<InsideRequest> inside;
  WantedPart<HostSideRequest> host;  // its hostIfname is set, from the container id
  // One per VRF, by name. With several VRFs in one namespace one at most takes the unbound
  // sockets (non-strict): the part above when it wants a VRF, else the one interface VRF that
  // claims it; when two claim it, none does, and interfaceError says so.
  std::vector<InterfaceVrf> interfaceVrfs;
  std::string interfaceError;  // a network's labels that cannot be used, or two defaults
};

// A runtime network's labels, by network id; nothing when netvrfd does not know the network.
using NetworkLabels =
    std::function<const std::map<std::string, std::string>*(const std::string& networkId)>;

// What one instance of a container was asked for over the API with --temporary.
struct TemporaryRequests {
  std::optional<InsideRequest> inside;
  std::optional<HostSideRequest> host;
};

// What is wanted for container `info`: a pure function of the requests, the labels and the
// temporary requests, so it can be computed again whenever any of them changes.
Wanted wantedFor(const ContainerInfo& info, const RequestStore& requests,
                 const TemporaryRequests& temporary, const std::vector<Policy>& policies = {},
                 const NetworkLabels& networkLabels = {});

}  // namespace netvrf
