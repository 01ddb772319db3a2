#include "threads.hpp"

#include <filesystem>
#include <fstream>

namespace netvrf::test {

std::map<std::string, long> threadSwitches(pid_t pid, const std::string& prefix) {
  std::map<std::string, long> out;
  std::error_code ec;
  for (const auto& task :
       std::filesystem::directory_iterator("/proc/" + std::to_string(pid) + "/task", ec)) {
    std::string name;
    std::getline(std::ifstream(task.path() / "comm"), name);
    if (!name.starts_with(prefix)) continue;
    std::ifstream status(task.path() / "status");
    long total = 0;
    for (std::string line; std::getline(status, line);)
      if (line.find("ctxt_switches:") != std::string::npos)
        total += std::stol(line.substr(line.find(':') + 1));
    out[name + " (" + task.path().filename().string() + ")"] = total;
  }
  return out;
}

std::string threadName(const std::string& key) {
  return key.substr(0, key.rfind(" ("));
}

}  // namespace netvrf::test
