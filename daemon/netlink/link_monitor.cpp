#include "netlink/link_monitor.hpp"

#include <fcntl.h>
#include <linux/rtnetlink.h>
#include <netlink/msg.h>
#include <netlink/netlink.h>

#include "netlink/nl_error.hpp"

namespace netvrf {

LinkMonitor::LinkMonitor(bool addresses) : sock_(nl_socket_alloc()), seen_(std::make_unique<int>(0)) {
  if (!sock_) checkNl(-NLE_NOMEM, "allocate a netlink socket");
  // Notifications carry no sequence numbers of ours.
  nl_socket_disable_seq_check(sock_.get());
  nl_socket_modify_cb(
      sock_.get(), NL_CB_VALID, NL_CB_CUSTOM,
      [](nl_msg* msg, void* arg) {
        int type = nlmsg_hdr(msg)->nlmsg_type;
        if (type == RTM_NEWLINK || type == RTM_DELLINK || type == RTM_NEWADDR ||
            type == RTM_DELADDR)
          ++*static_cast<int*>(arg);
        return int(NL_OK);
      },
      seen_.get());
  checkNl(nl_connect(sock_.get(), NETLINK_ROUTE), "connect to rtnetlink");
  checkNl(nl_socket_add_membership(sock_.get(), RTNLGRP_LINK), "join RTNLGRP_LINK");
  if (addresses) {
    checkNl(nl_socket_add_membership(sock_.get(), RTNLGRP_IPV4_IFADDR), "join RTNLGRP_IPV4_IFADDR");
    checkNl(nl_socket_add_membership(sock_.get(), RTNLGRP_IPV6_IFADDR), "join RTNLGRP_IPV6_IFADDR");
  }
  checkNl(nl_socket_set_nonblocking(sock_.get()), "make the link monitor non-blocking");
  fcntl(fd(), F_SETFD, FD_CLOEXEC);
}

int LinkMonitor::fd() const {
  return nl_socket_get_fd(sock_.get());
}

bool LinkMonitor::drain() {
  *seen_ = 0;
  bool lost = false;
  for (;;) {
    int r = nl_recvmsgs_default(sock_.get());
    if (r == -NLE_AGAIN) break;
    if (r == -NLE_NOMEM) {  // ENOBUFS: the kernel dropped some; the state is read anew anyway
      lost = true;
      continue;
    }
    checkNl(r < 0 ? r : 0, "read link notifications");
  }
  return lost || *seen_ > 0;
}

}  // namespace netvrf
