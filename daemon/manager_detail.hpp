#pragma once

// Helpers shared by the files of the Manager (manager.cpp, manager_networks.cpp,
// manager_api.cpp); not part of its interface.

#include <string>

#include "common/log.hpp"
#include "runtime/container_event.hpp"

namespace netvrf::manager_detail {

inline std::string keyOf(const std::string& runtime, const std::string& id) {
  return runtime + "/" + id;
}

// "containerd:k8s.io" -> "k8s.io": a runtime with namespaces is named runtime:namespace.
inline std::string_view runtimeNamespace(std::string_view runtime) {
  auto colon = runtime.find(':');
  return colon == std::string_view::npos ? std::string_view() : runtime.substr(colon + 1);
}

inline std::string networkKey(const std::string& runtime, const std::string& id) {
  return "net:" + runtime + "/" + id;
}

inline std::string describe(const NetworkInfo& n) {
  return "network " + n.name + " (" + n.runtime + " " + n.id.substr(0, 12) + ", bridge " +
         n.bridge + ")";
}

inline std::string describe(const ContainerInfo& i) {
  if (i.runtime == "process") return "namespace " + i.name + " (of a process)";
  return "container " + i.name + " (" + i.runtime + " " + i.id.substr(0, 12) + ")";
}

inline log::Fields fieldsOf(const ContainerInfo& i, const std::string& entry = {}) {
  log::Fields f{{"CONTAINER_ID", i.id}, {"CONTAINER_NAME", i.name}, {"RUNTIME", i.runtime}};
  if (!entry.empty()) f.emplace_back("NETNS", entry);
  return f;
}

}  // namespace netvrf::manager_detail
