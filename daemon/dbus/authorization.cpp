#include "dbus/authorization.hpp"

#include <grp.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <stdexcept>

namespace netvrf {

bool mayChange(const Caller& caller, std::optional<gid_t> adminGroup) {
  if (caller.uid == 0) return true;
  if (!adminGroup) return false;
  return caller.gid == *adminGroup ||
         std::find(caller.groups.begin(), caller.groups.end(), *adminGroup) != caller.groups.end();
}

std::optional<gid_t> groupId(const std::string& name) {
  if (name.empty()) return std::nullopt;
  std::vector<char> buf(16384);
  group g{};
  group* found = nullptr;
  int err = getgrnam_r(name.c_str(), &g, buf.data(), buf.size(), &found);
  if (err) throw std::runtime_error("cannot look up group " + name + ": " + std::strerror(err));
  if (!found) throw std::runtime_error("no group " + name);
  return found->gr_gid;
}

}  // namespace netvrf
