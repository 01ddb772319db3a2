#include "netlink/nl_handle.hpp"

#include <netlink/netlink.h>

#include "netlink/nl_error.hpp"

namespace netvrf {

NlSocket connectRoute() {
  NlSocket sock(nl_socket_alloc());
  if (!sock) checkNl(-NLE_NOMEM, "allocate a netlink socket");
  checkNl(nl_connect(sock.get(), NETLINK_ROUTE), "connect to rtnetlink");
  return sock;
}

}  // namespace netvrf
