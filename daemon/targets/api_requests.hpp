#pragma once

#include <optional>
#include <string>
#include <vector>

#include "attach/jobs.hpp"
#include "registry/netns_registry.hpp"
#include "targets/attachments.hpp"
#include "targets/reconciler.hpp"
#include "targets/requests.hpp"

namespace netvrf {

// What is asked over the API of registered containers: attach and detach on the attach worker,
// and what is kept of it (targets/requests.hpp). A successful attach is stored by runtime and
// container name and applied again whenever a container of that name starts; `temporary`: for
// this instance only. A detach removes what is stored, or stores a detach where the container's
// labels or networks would attach it again. Runs on the loop thread only.
class ApiRequests {
 public:
  ApiRequests(const NetnsRegistry& registry, Attachments& attachments, const Reconciler& reconciler,
              RequestStore& requests);

  // `reply` gets the outcome, on the loop thread. Throw std::system_error when the container's
  // entry cannot be opened (nothing asked).
  void attach(const std::string& key, InsideRequest req, bool temporary, Then<InsideResult> reply);
  // The host leg: throws VrfError when the container has a leg into another host VRF.
  void attachHost(const std::string& key, HostSideRequest req, bool temporary,
                  Then<HostSideResult> reply);
  // From `vrf` (every VRF when empty), with the host leg into it; `reply` gets the VRFs it left.
  void detach(const std::string& key, const std::string& vrf, Then<std::vector<std::string>> reply);
  // The stored requests of containers named `name` that do not run (into `vrf` only, when
  // given) are removed; returns the VRFs they named, or nothing when there were none. Throws
  // std::system_error when the file cannot be written (nothing changed).
  std::optional<std::vector<std::string>> forgetStopped(const std::string& name,
                                                        const std::string& vrf);

 private:
  // After a successful attach or detach: what is stored changes. An error (the requests file
  // cannot be written) is what the caller gets instead.
  template <typename T>
  void storeAttach(const std::string& key, StoredRequest request, bool temporary, Done<T>& d);
  template <typename T>
  void storeDetach(const std::string& key, bool inside, bool host, Done<T>& d);

  const NetnsRegistry& registry_;
  Attachments& attachments_;
  const Reconciler& reconciler_;
  RequestStore& requests_;
};

}  // namespace netvrf
