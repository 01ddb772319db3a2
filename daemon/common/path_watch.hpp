#pragma once

// Waits for a path (a runtime's socket) to appear without a timer: an inotify watch on the
// deepest of its directories that exists, moved deeper as directories appear. A runtime that
// is not installed costs no wakeups at all.

#include <string>

#include "common/fd.hpp"

namespace netvrf {

class PathWatch {
 public:
  explicit PathWatch(std::string path);  // throws std::system_error (inotify_init1)

  // Polls readable when something changed on the way to the path; then ask exists().
  int fd() const { return inotify_.get(); }
  // Whether the path exists now; reads what fd() holds and re-arms the watch deeper when a
  // directory on the way appeared.
  bool exists();

 private:
  void arm();

  std::string path_;
  Fd inotify_;
  int watch_ = -1;
  std::string watched_;  // the directory watched now
};

}  // namespace netvrf
