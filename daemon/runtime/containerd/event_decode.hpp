#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>

namespace netvrf::ctrd {

// The task events the watcher follows, decoded from what containerd sends: pure, no I/O, so
// that it can be tested and fuzzed without a containerd.

// /tasks/start: the task's init process runs as `pid`.
struct TaskStarted {
  std::string containerId;
  uint32_t pid = 0;
};

// /tasks/exit of the task's init process, or /tasks/delete.
struct TaskEnded {
  std::string containerId;
};

using TaskEvent = std::variant<TaskStarted, TaskEnded>;

// `payload` is the Envelope's Any value, decoded as the topic's message (its type_url has no
// '/', so Any::UnpackTo would fail). Nothing for other topics and for the exit of an exec'd
// process. Throws std::runtime_error when the payload does not decode as that message.
std::optional<TaskEvent> decodeTaskEvent(std::string_view topic, const std::string& payload);

}  // namespace netvrf::ctrd
