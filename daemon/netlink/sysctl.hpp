#pragma once

#include <optional>
#include <string>

namespace netvrf {

// /proc/sys/<key> of the calling thread's network namespace ("net/ipv4/tcp_l3mdev_accept").
// read: nothing when the key does not exist (IPv6 disabled, an older kernel).
std::optional<std::string> readSysctl(const std::string& key);
void writeSysctl(const std::string& key, const std::string& value);

}  // namespace netvrf
