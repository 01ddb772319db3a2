#include "runtime/container_event.hpp"

namespace netvrf {

std::string describe(const ContainerInfo& i) {
  if (i.runtime == "process") return "namespace " + i.name + " (of a process)";
  return "container " + i.name + " (" + i.runtime + " " + i.id.substr(0, 12) + ")";
}

std::string describe(const NetworkInfo& n) {
  return "network " + n.name + " (" + n.runtime + " " + n.id.substr(0, 12) +
         (n.bridge.empty() ? "" : ", bridge " + n.bridge) + ")";
}

log::Fields fieldsOf(const ContainerInfo& i, const std::string& entry) {
  log::Fields f{{"CONTAINER_ID", i.id}, {"CONTAINER_NAME", i.name}, {"RUNTIME", i.runtime}};
  if (!entry.empty()) f.emplace_back("NETNS", entry);
  return f;
}

std::string_view runtimeNamespace(std::string_view runtime) {
  auto colon = runtime.find(':');
  return colon == std::string_view::npos ? std::string_view() : runtime.substr(colon + 1);
}

}  // namespace netvrf
