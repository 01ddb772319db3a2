#include "common/path_watch.hpp"

#include <sys/inotify.h>
#include <unistd.h>

#include <cerrno>
#include <system_error>

namespace netvrf {

PathWatch::PathWatch(std::string path)
    : path_(std::move(path)), inotify_(inotify_init1(IN_NONBLOCK | IN_CLOEXEC)) {
  if (!inotify_) throw std::system_error(errno, std::generic_category(), "inotify_init1");
  arm();
}

// The deepest existing directory on the way to the path: what appears in it next is either
// the path or the next directory on the way.
void PathWatch::arm() {
  std::string dir = path_;
  for (;;) {
    auto slash = dir.find_last_of('/');
    dir = slash == 0 || slash == std::string::npos ? "/" : dir.substr(0, slash);
    if (access(dir.c_str(), F_OK) == 0 || dir == "/") break;
  }
  if (dir == watched_ && watch_ >= 0) return;
  if (watch_ >= 0) inotify_rm_watch(inotify_.get(), watch_);
  watch_ = inotify_add_watch(inotify_.get(), dir.c_str(),
                             IN_CREATE | IN_MOVED_TO | IN_DELETE_SELF | IN_MOVE_SELF);
  watched_ = watch_ >= 0 ? dir : "";
}

bool PathWatch::exists() {
  alignas(inotify_event) char buf[4096];
  while (read(inotify_.get(), buf, sizeof buf) > 0) {
  }
  if (access(path_.c_str(), F_OK) == 0) return true;
  arm();
  // What appeared between the last look and the new watch would never be heard of.
  return access(path_.c_str(), F_OK) == 0;
}

}  // namespace netvrf
