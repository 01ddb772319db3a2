#pragma once

#include <netlink/socket.h>

#include <string>

namespace netvrf {

// Creates the veth pair `name` (in the namespace `sock` is bound to) <-> `peerName` (in the
// namespace `peerNetnsFd`). Throws VrfError when either name is taken.
void createVethPair(nl_sock* sock, const std::string& name, const std::string& peerName,
                    int peerNetnsFd);

// Deletes interface `name` (for a veth: both ends); false when there is none.
bool deleteLink(nl_sock* sock, const std::string& name);

}  // namespace netvrf
