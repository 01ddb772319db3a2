#pragma once

#include <cerrno>
#include <string>
#include <system_error>

namespace netvrf {

// Throws std::system_error carrying the real errno, so callers can decide on the code while the
// message names the object and the operation ("mount /var/run/netns/web1: Permission denied").
[[noreturn]] inline void throwErrno(int err, const std::string& what) {
  throw std::system_error(err, std::generic_category(), what);
}
[[noreturn]] inline void throwErrno(const std::string& what) {
  throwErrno(errno, what);
}

inline bool isErrno(const std::system_error& e, int err) {
  return e.code().category() == std::generic_category() && e.code().value() == err;
}

}  // namespace netvrf
