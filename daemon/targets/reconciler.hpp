#pragma once

#include <string>

#include "config.hpp"
#include "networks/networks.hpp"
#include "registry/netns_registry.hpp"
#include "targets/attachments.hpp"
#include "targets/requests.hpp"
#include "targets/target.hpp"
#include "targets/wanted.hpp"

namespace netvrf {

// The one reconcile step: whatever changed about a registered container (it started, a job of
// it ended, a network was connected, its links changed behind netvrfd's back, the policies were
// reloaded), each of its parts (its own VRF, its interface VRFs, its host leg) is brought to what
// it wants now. What is wanted comes from targets/wanted.hpp, what to do from
// targets/reconcile.hpp; this class only carries it out through Attachments. A part whose job is
// under way is reconciled again once that job is done. Runs on the loop thread only.
class Reconciler {
 public:
  Reconciler(const NetnsRegistry& registry, Attachments& attachments, const RequestStore& requests,
             const Config& config, const Networks& networks);

  // What `t` wants now: its requests, labels, networks' labels and the policies.
  Wanted wanted(const Target& t) const;

  void reconcile(const std::string& key, Target& t, Trigger why = Trigger::Changed);
  // After a job of `t`: what changed while it was under way.
  void reconcileLater(const std::string& key, Target& t);
  // After the policies changed (a reload): every registered container.
  void reconcileAll();

 private:
  // The interface VRFs' part: their jobs go before the container's own VRF's, which takes the
  // interfaces they leave.
  void reconcileInterfaceVrfs(const std::string& key, Target& t, const Wanted& w);

  const NetnsRegistry& registry_;
  Attachments& attachments_;
  const RequestStore& requests_;
  const Config& config_;
  const Networks& networks_;
};

}  // namespace netvrf
