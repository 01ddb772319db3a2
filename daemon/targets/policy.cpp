#include "targets/policy.hpp"

#include <fnmatch.h>

#include <nlohmann/json.hpp>

#include "attach/host_side.hpp"
#include "attach/labels.hpp"

namespace netvrf {
namespace {

using nlohmann::json;

std::string typeOf(const json& v) {
  return v.type_name();
}

std::string str(const json& v, const std::string& key) {
  if (!v.is_string()) throw PolicyError(key, "must be a string, not " + typeOf(v));
  return v.get<std::string>();
}

bool glob(const std::optional<std::string>& pattern, const std::string& value) {
  return !pattern || fnmatch(pattern->c_str(), value.c_str(), 0) == 0;
}

std::string labelOf(const ContainerInfo& info, const std::string& key) {
  auto it = info.labels.find(key);
  return it == info.labels.end() ? std::string() : it->second;
}

// The option keys of a policy and the labels they stand for.
const std::map<std::string, std::string> kOptions = {
    {"vrf", "netvrf.vrf"},
    {"table", "netvrf.table"},
    {"interfaces", "netvrf.interfaces"},
    {"strict", "netvrf.strict"},
    {"host_vrf", "netvrf.host_vrf"},
    {"host_table", "netvrf.host_table"},
    {"host_addresses", "netvrf.host_addresses"},
    {"host_gateways", "netvrf.host_gateways"},
    {"host_interface", "netvrf.host_interface"},
};

std::string labelValue(const json& v, const std::string& key) {
  if (key == "table" || key == "host_table") {
    if (!v.is_number_unsigned()) throw PolicyError(key, "must be a table number, not " + typeOf(v));
    return std::to_string(v.get<uint64_t>());
  }
  if (key == "strict") {
    if (!v.is_boolean()) throw PolicyError(key, "must be true or false, not " + typeOf(v));
    return v.get<bool>() ? "true" : "false";
  }
  if (key == "interfaces" || key == "host_addresses" || key == "host_gateways") {
    if (!v.is_array() || v.empty())
      throw PolicyError(key, "must be a non-empty list of strings, not " + typeOf(v));
    std::string joined;
    for (const auto& item : v) {
      std::string s = str(item, key);
      if (s.empty() || s.find(',') != std::string::npos)
        throw PolicyError(key, "'" + s + "' is not a single value");
      joined += (joined.empty() ? "" : ",") + s;
    }
    return joined;
  }
  return str(v, key);
}

PolicyMatch parseMatch(const json& m) {
  if (!m.is_object()) throw PolicyError("match", "must be an object, not " + typeOf(m));
  PolicyMatch out;
  const std::map<std::string, std::optional<std::string> PolicyMatch::*> keys = {
      {"name", &PolicyMatch::name},
      {"image", &PolicyMatch::image},
      {"label", &PolicyMatch::label},
      {"compose_project", &PolicyMatch::composeProject},
      {"compose_service", &PolicyMatch::composeService},
      {"containerd_namespace", &PolicyMatch::containerdNamespace},
      {"pod_namespace", &PolicyMatch::podNamespace},
      {"runtime", &PolicyMatch::runtime},
  };
  for (const auto& [key, value] : m.items()) {
    auto it = keys.find(key);
    if (it == keys.end())
      throw PolicyError("match." + key,
                        "is not a match key (known: name, image, label, compose_project, "
                        "compose_service, containerd_namespace, pod_namespace, runtime)");
    std::string s = str(value, "match." + key);
    if (s.empty()) throw PolicyError("match." + key, "must not be empty");
    if (key == "label" && s.front() == '=')
      throw PolicyError("match.label", "must be key=value or key, not '" + s + "'");
    out.*(it->second) = s;
  }
  if (out == PolicyMatch{})
    throw PolicyError("match", "needs at least one key (\"name\": \"*\" matches every container)");
  return out;
}

}  // namespace

Policy parsePolicy(const json& j) {
  if (!j.is_object()) throw PolicyError("", "must be an object, not " + typeOf(j));
  Policy p;
  bool matched = false;
  for (const auto& [key, value] : j.items()) {
    if (key == "match") {
      p.match = parseMatch(value);
      matched = true;
      continue;
    }
    auto it = kOptions.find(key);
    if (it == kOptions.end())
      throw PolicyError(key,
                        "is not a policy key (known: match, vrf, table, interfaces, strict, "
                        "host_vrf, host_table, host_addresses, host_gateways, host_interface)");
    p.labels[it->second] = labelValue(value, key);
  }
  if (!matched) throw PolicyError("match", "is missing: which containers?");
  if (!p.labels.count("netvrf.vrf") && !p.labels.count("netvrf.host_vrf"))
    throw PolicyError("vrf", "is missing: a policy needs vrf or host_vrf");
  // What the labels it stands for would refuse, refused now, named by the policy's own key.
  try {
    LabelPlan plan = planFromLabels(p.labels, "000000000000");
    if (plan.host)
      if (auto e = hostSideAddressError(*plan.host))
        throw PolicyError("host_addresses", "cannot be used: " + *e);
  } catch (const LabelError& e) {
    // "label netvrf.table=254: why" names the option; the others say what is missing.
    std::string what = e.what(), key = "vrf";
    for (const auto& [option, label] : kOptions)
      if (what.starts_with("label " + label + "=")) key = option;
    if (what.find("without netvrf.host_addresses") != std::string::npos) key = "host_addresses";
    if (what.find("without netvrf.host_vrf") != std::string::npos) key = "host_vrf";
    if (what.starts_with("label ") && what.find(": ") != std::string::npos)
      what = what.substr(what.find(": ") + 2);
    throw PolicyError(key, "cannot be used: " + what);
  }
  return p;
}

bool matches(const PolicyMatch& m, const ContainerInfo& info) {
  if (m.label) {
    auto eq = m.label->find('=');
    std::string key = m.label->substr(0, eq);
    auto it = info.labels.find(key);
    if (it == info.labels.end()) return false;
    if (eq != std::string::npos && it->second != m.label->substr(eq + 1)) return false;
  }
  auto colon = info.runtime.find(':');
  std::string runtime = info.runtime.substr(0, colon);
  std::string ns = colon == std::string::npos ? "" : info.runtime.substr(colon + 1);
  if (m.containerdNamespace && (runtime != "containerd" || !glob(m.containerdNamespace, ns)))
    return false;
  if (m.composeProject && !info.labels.count("com.docker.compose.project")) return false;
  if (m.composeService && !info.labels.count("com.docker.compose.service")) return false;
  if (m.podNamespace && !info.labels.count("io.kubernetes.pod.namespace")) return false;
  if (m.image && info.image.empty()) return false;
  return glob(m.name, info.name) && glob(m.image, info.image) && glob(m.runtime, runtime) &&
         glob(m.composeProject, labelOf(info, "com.docker.compose.project")) &&
         glob(m.composeService, labelOf(info, "com.docker.compose.service")) &&
         glob(m.podNamespace, labelOf(info, "io.kubernetes.pod.namespace"));
}

std::optional<size_t> firstMatch(const std::vector<Policy>& policies, const ContainerInfo& info) {
  for (size_t i = 0; i < policies.size(); ++i)
    if (matches(policies[i].match, info)) return i;
  return std::nullopt;
}

}  // namespace netvrf
