#include "targets/wanted.hpp"

#include "attach/labels.hpp"

namespace netvrf {

const char* toString(WantSource s) {
  switch (s) {
    case WantSource::Temporary:
      return "temporary";
    case WantSource::Request:
      return "request";
    case WantSource::Detached:
      return "detached";
    case WantSource::Label:
      return "label";
    case WantSource::Policy:
      return "policy";
    case WantSource::None:
      break;
  }
  return "none";
}

template <typename Request>
std::string WantedPart<Request>::from() const {
  if (!error.empty()) return "label error";
  if (source == WantSource::Policy) return "policy " + std::to_string(policy);
  return toString(source);
}
template struct WantedPart<InsideRequest>;
template struct WantedPart<HostSideRequest>;

namespace {

// The first of temporary, stored request, label and policy that says something about a part.
template <typename Request>
WantedPart<Request> decide(const std::optional<Request>& temporary, const StoredRequest* stored,
                           const Request& storedRequest, const std::optional<Request>& labelled,
                           const std::string& labelError, const std::optional<Request>& byPolicy,
                           size_t policy) {
  WantedPart<Request> w;
  if (temporary) {
    w.source = WantSource::Temporary;
    w.request = temporary;
  } else if (stored && stored->detached) {
    w.source = WantSource::Detached;
  } else if (stored) {
    w.source = WantSource::Request;
    w.request = storedRequest;
  } else if (!labelError.empty()) {
    w.error = labelError;
  } else if (labelled) {
    w.source = WantSource::Label;
    w.request = labelled;
  } else if (byPolicy) {
    w.source = WantSource::Policy;
    w.request = byPolicy;
    w.policy = policy;
  }
  return w;
}

// The interface VRFs of `info` (its networks' labels, its netvrf.vrf.<interface> labels), and
// which of them takes unbound sockets.
void interfaceVrfs(Wanted& w, const ContainerInfo& info, const LabelPlan& labels,
                   const NetworkLabels& networkLabels) {
  std::map<std::string, InterfaceVrf> byVrf;
  auto part = [&](const std::string& vrf) -> InterfaceVrf& {
    InterfaceVrf& p = byVrf[vrf];
    p.request.vrf = vrf;
    p.request.strict = true;
    return p;
  };
  for (const auto& n : info.networks) {
    const auto* found = networkLabels ? networkLabels(n.id) : nullptr;
    if (!found || n.mac.empty()) continue;
    NetworkLabelPlan plan;
    try {
      plan = planFromNetworkLabels(*found);
    } catch (const LabelError& e) {
      if (w.interfaceError.empty()) w.interfaceError = "network " + n.name + ": " + e.what();
      continue;
    }
    if (plan.containerVrf.empty()) continue;
    InterfaceVrf& p = part(plan.containerVrf);
    p.request.macs.push_back(n.mac);
    p.from.push_back("network " + n.name);
    p.claimsDefault |= plan.isDefault;
  }
  for (const auto& [dev, vrf] : labels.interfaceVrfs) {
    InterfaceVrf& p = part(vrf);
    p.request.interfaces.push_back(dev);
    p.from.push_back("label netvrf.vrf." + dev);
    p.claimsDefault |= labels.defaults.contains(dev);
  }
  std::vector<std::string> claims;
  for (auto& [vrf, p] : byVrf) {
    if (w.inside.request && w.inside.request->vrf == vrf) {
      // The VRF the container is in anyway: with all of its interfaces, or with these too.
      InsideRequest& main = *w.inside.request;
      if (!main.interfaces.empty() || !main.macs.empty()) {
        main.interfaces.insert(main.interfaces.end(), p.request.interfaces.begin(),
                               p.request.interfaces.end());
        main.macs.insert(main.macs.end(), p.request.macs.begin(), p.request.macs.end());
      }
      continue;
    }
    if (p.claimsDefault) claims.push_back(vrf);
    w.interfaceVrfs.push_back(std::move(p));
  }
  if (w.inside.request || claims.empty()) return;  // netvrf.vrf's VRF is the default, if any
  if (claims.size() > 1) {
    w.interfaceError = "VRFs " + claims[0] + " and " + claims[1] +
                       " both say netvrf.default=true; unbound sockets stay outside every VRF";
    return;
  }
  for (auto& p : w.interfaceVrfs)
    if (p.request.vrf == claims[0]) p.request.strict = false;
}

}  // namespace

Wanted wantedFor(const ContainerInfo& info, const RequestStore& requests,
                 const TemporaryRequests& temporary, const std::vector<Policy>& policies,
                 const NetworkLabels& networkLabels) {
  LabelPlan labels;
  std::string labelError;
  try {
    labels = planFromLabels(info.labels, info.id);
  } catch (const LabelError& e) {
    labelError = e.what();
  }
  // Policies were checked when the configuration was read: their labels plan without error.
  LabelPlan byPolicy;
  auto policy = firstMatch(policies, info);
  if (policy) byPolicy = planFromLabels(policies[*policy].labels, info.id);
  const StoredRequest* inside = requests.find(info.runtime, info.name, StoredRequest::Part::Inside);
  const StoredRequest* host = requests.find(info.runtime, info.name, StoredRequest::Part::Host);
  Wanted w;
  w.inside = decide(temporary.inside, inside, inside ? inside->inside : InsideRequest{},
                    labels.inside, labelError, byPolicy.inside, policy.value_or(0));
  w.host = decide(temporary.host, host, host ? host->host : HostSideRequest{}, labels.host,
                  labelError, byPolicy.host, policy.value_or(0));
  if (w.host.request) {
    HostSideRequest& leg = *w.host.request;
    if (leg.containerIfname.empty()) leg.containerIfname = defaultContainerIfname(leg.vrf);
    leg.hostIfname = defaultHostIfname(info.id, leg.vrf);  // this container's, not the last one's
  }
  // Kept out by a stored detach: all of it. Labels that cannot be used: their error says so.
  if (w.inside.source != WantSource::Detached && labelError.empty())
    interfaceVrfs(w, info, labels, networkLabels);
  return w;
}

}  // namespace netvrf
