#pragma once

#include <sys/types.h>

#include <optional>
#include <string>
#include <string_view>

#include "netns/pin.hpp"

namespace netvrf::docker {

// Whether a /proc/PID/cgroup text places the process in the cgroup of container `id` (64 hex
// digits), under either of Docker's cgroup drivers and either cgroup version:
// "0::/docker/<id>" (cgroupfs), "0::/system.slice/docker-<id>.scope" (systemd),
// "12:pids:/docker/<id>" (v1). The id must be a whole path component or a scope's name, so one
// id is never taken for another that starts with it.
bool cgroupNamesContainer(std::string_view procCgroup, std::string_view id);

// Pins the network namespace of `pid`, the init process containerd reported for Docker's
// container `id`, and proves without asking dockerd that the process is that container's: it is
// in the container's cgroup, and it is still the pinned process after the cgroup was read (a PID
// reused in between would have exited first). Nothing when it is not (or is gone).
std::optional<PinnedNetns> pinContainerTask(pid_t pid, const std::string& id);

}  // namespace netvrf::docker
