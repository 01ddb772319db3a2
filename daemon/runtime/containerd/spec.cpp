#include "runtime/containerd/spec.hpp"

#include <nlohmann/json.hpp>
#include <stdexcept>

namespace netvrf::ctrd {

NetworkOfSpec networkOfSpec(std::string_view specJson) {
  nlohmann::json spec = nlohmann::json::parse(specJson, nullptr, false);
  if (!spec.is_object()) throw std::runtime_error("the container's spec is not JSON");
  const auto linux = spec.find("linux");
  if (linux == spec.end() || !linux->is_object())
    throw std::runtime_error("the container's spec has no linux section");
  NetworkOfSpec out{true, std::nullopt};
  auto namespaces = linux->find("namespaces");
  if (namespaces == linux->end() || !namespaces->is_array()) return out;
  for (const auto& ns : *namespaces) {
    if (!ns.is_object() || ns.value("type", "") != "network") continue;
    out.hostNetwork = false;
    if (auto p = ns.find("path"); p != ns.end() && p->is_string() && !p->get<std::string>().empty())
      out.path = p->get<std::string>();
  }
  return out;
}

}  // namespace netvrf::ctrd
