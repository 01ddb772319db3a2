#pragma once

#include <netlink/addr.h>
#include <netlink/cache.h>
#include <netlink/route/addr.h>
#include <netlink/route/link.h>
#include <netlink/route/route.h>
#include <netlink/route/rule.h>
#include <netlink/socket.h>

#include <memory>

namespace netvrf {

// Owning pointers for libnl objects: each one is released exactly once, also on exceptions.
template <typename T, void (*Free)(T*)>
struct NlDeleter {
  void operator()(T* p) const {
    if (p) Free(p);
  }
};

using NlSocket = std::unique_ptr<nl_sock, NlDeleter<nl_sock, nl_socket_free>>;
using NlCache = std::unique_ptr<nl_cache, NlDeleter<nl_cache, nl_cache_free>>;
using NlAddr = std::unique_ptr<nl_addr, NlDeleter<nl_addr, nl_addr_put>>;
using LinkPtr = std::unique_ptr<rtnl_link, NlDeleter<rtnl_link, rtnl_link_put>>;
using RoutePtr = std::unique_ptr<rtnl_route, NlDeleter<rtnl_route, rtnl_route_put>>;
using RulePtr = std::unique_ptr<rtnl_rule, NlDeleter<rtnl_rule, rtnl_rule_put>>;
using AddrPtr = std::unique_ptr<rtnl_addr, NlDeleter<rtnl_addr, rtnl_addr_put>>;

// A NETLINK_ROUTE socket in the calling thread's network namespace; it stays bound to that
// namespace even if the thread moves on. Throws std::system_error (nlCategory).
NlSocket connectRoute();

}  // namespace netvrf
