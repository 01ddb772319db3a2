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
    case WantSource::None:
      break;
  }
  return "none";
}

namespace {

// The first of temporary, stored request and label that says something about a part.
template <typename Request>
WantedPart<Request> decide(const std::optional<Request>& temporary, const StoredRequest* stored,
                           const Request& storedRequest, const std::optional<Request>& labelled,
                           const std::string& labelError) {
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
  }
  return w;
}

}  // namespace

Wanted wantedFor(const ContainerInfo& info, const RequestStore& requests,
                 const TemporaryRequests& temporary) {
  LabelPlan labels;
  std::string labelError;
  try {
    labels = planFromLabels(info.labels, info.id);
  } catch (const LabelError& e) {
    labelError = e.what();
  }
  const StoredRequest* inside = requests.find(info.runtime, info.name, StoredRequest::Part::Inside);
  const StoredRequest* host = requests.find(info.runtime, info.name, StoredRequest::Part::Host);
  Wanted w;
  w.inside = decide(temporary.inside, inside, inside ? inside->inside : InsideRequest{},
                    labels.inside, labelError);
  w.host = decide(temporary.host, host, host ? host->host : HostSideRequest{}, labels.host,
                  labelError);
  if (w.host.request) {
    HostSideRequest& leg = *w.host.request;
    if (leg.containerIfname.empty()) leg.containerIfname = defaultContainerIfname(leg.vrf);
    leg.hostIfname = defaultHostIfname(info.id, leg.vrf);  // this container's, not the last one's
  }
  return w;
}

}  // namespace netvrf
