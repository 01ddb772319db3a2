#include "runtime/containerd/event_decode.hpp"

#include <stdexcept>

#include "task_events.pb.h"

namespace netvrf::ctrd {

std::optional<TaskEvent> decodeTaskEvent(std::string_view topic, const std::string& payload) {
  if (topic == "/tasks/start") {
    ::containerd::events::TaskStart start;
    if (!start.ParseFromString(payload)) throw std::runtime_error("undecodable TaskStart");
    return TaskStarted{start.container_id(), start.pid()};
  }
  if (topic == "/tasks/exit") {
    ::containerd::events::TaskExit exit;
    if (!exit.ParseFromString(payload)) throw std::runtime_error("undecodable TaskExit");
    if (exit.id() != exit.container_id()) return std::nullopt;  // an exec, not the task's init
    return TaskEnded{exit.container_id()};
  }
  if (topic == "/tasks/delete") {
    ::containerd::events::TaskDelete del;
    if (!del.ParseFromString(payload)) throw std::runtime_error("undecodable TaskDelete");
    return TaskEnded{del.container_id()};
  }
  return std::nullopt;
}

}  // namespace netvrf::ctrd
