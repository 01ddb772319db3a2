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

}  // namespace

Wanted wantedFor(const ContainerInfo& info, const RequestStore& requests,
                 const TemporaryRequests& temporary, const std::vector<Policy>& policies) {
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
  return w;
}

}  // namespace netvrf
