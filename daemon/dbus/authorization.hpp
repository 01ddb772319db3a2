#pragma once

#include <sys/types.h>

#include <optional>
#include <string>
#include <vector>

namespace netvrf {

// Who may call the methods that change something: root, and the members of the configured
// group (api.group), by the caller's credentials as the bus reports them.
struct Caller {
  uid_t uid = 0;
  gid_t gid = 0;
  std::vector<gid_t> groups;  // supplementary
};

bool mayChange(const Caller& caller, std::optional<gid_t> adminGroup);

// The id of group `name`; nothing for "" (no group configured). Throws std::runtime_error when
// there is no such group.
std::optional<gid_t> groupId(const std::string& name);

}  // namespace netvrf
