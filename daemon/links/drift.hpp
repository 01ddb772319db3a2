#pragma once

#include <functional>
#include <string>
#include <vector>

#include "attach/host_vrfs.hpp"
#include "links/link_watch.hpp"
#include "loop/event_loop.hpp"
#include "networks/networks.hpp"
#include "targets/attachments.hpp"
#include "targets/reconciler.hpp"

namespace netvrf {

// Changes behind netvrfd's back: a VRF deleted, an interface released or deleted by someone
// else. Link notifications (LinkWatch) only say that something changed; a check then reads the
// kernel's state (on the attach worker, after any job already queued), and a difference is
// logged, kept as the container's last error, and handed to the reconcile step, which attaches
// again what is still wanted. Runs on the loop thread only.
class Drift {
 public:
  // `hostLinksChanged`: the host's links changed (the host's VRFs are to be listed again, and
  // then hostVrfsListed).
  Drift(EventLoop& loop, Attachments& attachments, Reconciler& reconciler, Networks& networks,
        std::function<void()> hostLinksChanged);

  // The links of `t`'s namespace are followed while a VRF inside it is attached.
  void follow(const std::string& key, const Target& t);
  // Its own VRF is no longer attached: stops following unless an interface VRF is.
  void unfollow(const std::string& key, const Target& t);
  void stop(const std::string& key) { links_.stop(key); }
  // The host's links, from now on.
  void followHost();

  // After each fresh list of the host's VRFs: the networks and legs that were attached must
  // still be in theirs.
  void hostVrfsListed(const std::vector<HostVrf>& vrfs);

 private:
  void check(const std::string& key);
  void ownVrfChecked(const std::string& key, pid_t pid, const std::string& vrf,
                     const Done<CheckResult>& d);
  void interfaceVrfChecked(const std::string& key, pid_t pid, const std::string& vrf,
                           const Done<CheckResult>& d);

  Attachments& attachments_;
  Reconciler& reconciler_;
  Networks& networks_;
  LinkWatch links_;
};

}  // namespace netvrf
