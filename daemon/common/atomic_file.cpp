#include "common/atomic_file.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/error.hpp"
#include "common/fd.hpp"

namespace netvrf {

void writeFileAtomically(const std::string& path, std::string_view text, mode_t mode,
                         Durability durability) {
  std::string tmp = path + ".tmp";
  Fd fd(open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode));
  if (!fd) throwErrno("create " + tmp);
  int err = 0;
  for (size_t done = 0; done < text.size() && !err;) {
    ssize_t n = ::write(fd.get(), text.data() + done, text.size() - done);
    if (n < 0)
      err = errno;
    else
      done += size_t(n);
  }
  if (!err && (fchmod(fd.get(), mode) < 0 ||
               (durability == Durability::kAcrossReboots && fsync(fd.get()) < 0) ||
               rename(tmp.c_str(), path.c_str()) < 0))
    err = errno;
  if (err) {
    unlink(tmp.c_str());
    throwErrno(err, "write " + path);
  }
}

}  // namespace netvrf
