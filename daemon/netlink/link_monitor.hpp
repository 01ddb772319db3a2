#pragma once

#include "netlink/nl_handle.hpp"

namespace netvrf {

// Hears every interface that is added, changed or removed in one network namespace (the
// calling thread's when it is made: see runInNetns): a non-blocking rtnetlink socket in group
// RTNLGRP_LINK, for the event loop. It only says that something changed; whoever listens
// looks at the kernel's state again, which is also the answer to lost messages (ENOBUFS).
class LinkMonitor {
 public:
  // `addresses`: also every IPv4 and IPv6 address added or removed (the host's: published ports
  // answer on a VRF's addresses). Throws std::system_error (nlCategory).
  explicit LinkMonitor(bool addresses = false);
  LinkMonitor(LinkMonitor&&) = default;
  LinkMonitor& operator=(LinkMonitor&&) = default;

  int fd() const;
  // Reads everything that has arrived; true when any of it was about a link (or an address),
  // or some was lost.
  bool drain();

 private:
  NlSocket sock_;
  std::unique_ptr<int> seen_;  // link (and address) messages counted by the socket's callback
};

}  // namespace netvrf
