#include "netlink/sysctl.hpp"

#include <fcntl.h>
#include <unistd.h>

#include "common/error.hpp"
#include "common/fd.hpp"

namespace netvrf {

std::optional<std::string> readSysctl(const std::string& key) {
  std::string path = "/proc/sys/" + key;
  Fd fd(open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd) {
    if (errno == ENOENT) return std::nullopt;
    throwErrno("read " + path);
  }
  char buf[64];
  ssize_t n = read(fd.get(), buf, sizeof buf);
  if (n < 0) throwErrno("read " + path);
  std::string value(buf, size_t(n));
  while (!value.empty() && (value.back() == '\n' || value.back() == ' ')) value.pop_back();
  return value;
}

void writeSysctl(const std::string& key, const std::string& value) {
  std::string path = "/proc/sys/" + key;
  Fd fd(open(path.c_str(), O_WRONLY | O_CLOEXEC));
  if (!fd) throwErrno("write " + path);
  if (write(fd.get(), value.data(), value.size()) != ssize_t(value.size()))
    throwErrno("write " + value + " to " + path);
}

}  // namespace netvrf
