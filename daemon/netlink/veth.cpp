#include "netlink/veth.hpp"

#include <netlink/errno.h>
#include <netlink/route/link/veth.h>

#include "netlink/nl_error.hpp"
#include "netlink/nl_handle.hpp"
#include "netlink/vrf.hpp"

namespace netvrf {

void createVethPair(nl_sock* sock, const std::string& name, const std::string& peerName,
                    int peerNetnsFd) {
  LinkPtr link(rtnl_link_veth_alloc());
  if (!link) throw std::bad_alloc();
  rtnl_link_set_name(link.get(), name.c_str());
  LinkPtr peer(rtnl_link_veth_get_peer(link.get()));  // a reference of its own
  rtnl_link_set_name(peer.get(), peerName.c_str());
  rtnl_link_set_ns_fd(peer.get(), peerNetnsFd);
  int r = rtnl_link_add(sock, link.get(), NLM_F_CREATE | NLM_F_EXCL);
  if (r == -NLE_EXIST)
    throw VrfError("cannot create veth pair " + name + "/" + peerName +
                   ": one of the names is taken");
  checkNl(r, "create veth pair " + name + "/" + peerName);
}

bool deleteLink(nl_sock* sock, const std::string& name) {
  LinkPtr link(rtnl_link_alloc());
  rtnl_link_set_name(link.get(), name.c_str());
  int r = rtnl_link_delete(sock, link.get());
  if (r == -NLE_NODEV || r == -NLE_OBJ_NOTFOUND) return false;
  checkNl(r, "delete interface " + name);
  return true;
}

}  // namespace netvrf
