#include "netns/netns_dir.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <sys/file.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>

#include <filesystem>

#include "common/error.hpp"

namespace netvrf {
namespace {

// flock(LOCK_EX) on the directory, as `ip netns add` does, released on scope exit.
class DirLock {
 public:
  explicit DirLock(const std::string& dir)
      : fd_(open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC)) {
    if (!fd_) throwErrno("open " + dir);
    while (flock(fd_.get(), LOCK_EX) < 0) {
      if (errno != EINTR) throwErrno("flock " + dir);
    }
  }

 private:
  Fd fd_;
};

}  // namespace

void NetnsDir::prepare() {
  std::error_code ec;
  std::filesystem::create_directories(path_, ec);
  if (ec) throwErrno(ec.value(), "create " + path_);
  chmod(path_.c_str(), 0755);
  DirLock lock(path_);
  // Already shared, or made so here. EINVAL means it is not a mount point yet: bind it onto
  // itself first (iproute2 does the same).
  if (mount("", path_.c_str(), "none", MS_SHARED | MS_REC, nullptr) == 0) return;
  if (errno != EINVAL) throwErrno("make " + path_ + " a shared mount");
  if (mount(path_.c_str(), path_.c_str(), "none", MS_BIND | MS_REC, nullptr) < 0)
    throwErrno("bind " + path_ + " onto itself");
  if (mount("", path_.c_str(), "none", MS_SHARED | MS_REC, nullptr) < 0)
    throwErrno("make " + path_ + " a shared mount");
}

NetnsDir::Entry NetnsDir::probe(const std::string& name) const {
  std::string path = pathOf(name);
  struct statfs fs {};
  if (statfs(path.c_str(), &fs) < 0) {
    if (errno == ENOENT) return {};
    throwErrno("statfs " + path);
  }
  Entry e{true, std::nullopt};
  if (fs.f_type == NSFS_MAGIC) e.ns = nsIdentityOfPath(path);
  return e;
}

void NetnsDir::bind(const std::string& name, int netnsFd, const std::function<bool()>& stillValid) {
  std::string path = pathOf(name);
  DirLock lock(path_);
  Fd file(open(path.c_str(), O_RDONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0));
  if (!file) throwErrno("create " + path);
  file.reset();
  std::string source = "/proc/self/fd/" + std::to_string(netnsFd);
  int err = 0;
  std::string what;
  if (stillValid && !stillValid()) {
    err = ESRCH;
    what = "the process exited before " + path + " was mounted";
  } else if (mount(source.c_str(), path.c_str(), "none", MS_BIND, nullptr) < 0) {
    err = errno;
    what = "bind-mount " + path;
  }
  if (err) {
    unlink(path.c_str());
    throwErrno(err, what);
  }
}

bool NetnsDir::unbind(const std::string& name, const NsIdentity& ns) {
  std::string path = pathOf(name);
  DirLock lock(path_);
  Entry e = probe(name);
  if (!e.exists || (e.ns && *e.ns != ns)) return false;
  // Detach, as `ip netns del` does: processes inside the namespace keep it, the name goes.
  if (e.ns && umount2(path.c_str(), MNT_DETACH) < 0 && errno != EINVAL)
    throwErrno("unmount " + path);
  if (unlink(path.c_str()) < 0 && errno != ENOENT) throwErrno("remove " + path);
  return true;
}

std::vector<std::string> NetnsDir::list() const {
  std::vector<std::string> names;
  std::unique_ptr<DIR, int (*)(DIR*)> dir(opendir(path_.c_str()), closedir);
  if (!dir) return names;
  while (auto* d = readdir(dir.get())) {
    std::string n = d->d_name;
    if (n != "." && n != "..") names.push_back(std::move(n));
  }
  return names;
}

}  // namespace netvrf
