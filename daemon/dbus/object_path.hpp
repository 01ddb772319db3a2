#pragma once

#include <systemd/sd-bus.h>

#include <cstdlib>
#include <memory>
#include <stdexcept>
#include <string>

namespace netvrf {

// `prefix`/`id` with `id` escaped as sd-bus does it (so "docker/3f2a" or "red-1" make valid
// object paths, and sd_bus_path_decode() gives them back).
inline std::string objectPath(const std::string& prefix, const std::string& id) {
  char* out = nullptr;
  if (sd_bus_path_encode(prefix.c_str(), id.c_str(), &out) < 0)
    throw std::runtime_error("cannot make an object path of '" + id + "'");
  std::unique_ptr<char, decltype(&free)> owned(out, &free);
  return out;
}

}  // namespace netvrf
