#include "runtime/docker/task_proof.hpp"

#include <cctype>
#include <fstream>
#include <sstream>
#include <system_error>

namespace netvrf::docker {
namespace {

bool isHex(char c) {
  return std::isxdigit(static_cast<unsigned char>(c)) != 0;
}

}  // namespace

bool cgroupNamesContainer(std::string_view procCgroup, std::string_view id) {
  if (id.size() != 64) return false;
  for (char c : id)
    if (!isHex(c)) return false;
  size_t lineStart = 0;
  while (lineStart < procCgroup.size()) {
    size_t end = procCgroup.find('\n', lineStart);
    if (end == std::string_view::npos) end = procCgroup.size();
    std::string_view line = procCgroup.substr(lineStart, end - lineStart);
    lineStart = end + 1;
    // hierarchy-ID:controllers:path; the path may itself hold ':'.
    size_t first = line.find(':');
    size_t second = first == std::string_view::npos ? first : line.find(':', first + 1);
    if (second == std::string_view::npos) continue;
    std::string_view path = line.substr(second + 1);
    for (size_t at = path.find(id); at != std::string_view::npos; at = path.find(id, at + 1)) {
      std::string_view before = path.substr(0, at), after = path.substr(at + id.size());
      bool startsComponent = before.ends_with('/') || before.ends_with("/docker-");
      bool endsComponent = after.empty() || after.starts_with('/') || after.starts_with(".scope");
      if (startsComponent && endsComponent) return true;
    }
  }
  return false;
}

std::optional<PinnedNetns> pinContainerTask(pid_t pid, const std::string& id) {
  try {
    PinnedNetns pin = pinNetns(pid, std::nullopt);
    std::ifstream in("/proc/" + std::to_string(pid) + "/cgroup");
    std::stringstream text;
    text << in.rdbuf();
    // Read while the pidfd's process had not exited: the PID was still its, so the text is.
    if (!in || processExited(pin.pidfd.get()) || !cgroupNamesContainer(text.str(), id))
      return std::nullopt;
    return pin;
  } catch (const std::system_error&) {
    return std::nullopt;  // gone already, or not ours to open
  }
}

}  // namespace netvrf::docker
