#pragma once

#include <pthread.h>

#include <string>

namespace netvrf {

// Names the calling thread as top(1), ps -L and /proc/PID/task/*/comm show it (at most 15
// bytes, cut otherwise). netvrfd's own threads start with "nv-"; the README lists them.
inline void nameThisThread(const std::string& name) {
  pthread_setname_np(pthread_self(), name.substr(0, 15).c_str());
}

}  // namespace netvrf
