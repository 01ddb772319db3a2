#include "request.hpp"

#include "common/printable.hpp"
#include "netlink/vrf.hpp"
#include "spec.hpp"

namespace netvrf::cni {

namespace {

std::map<std::string, std::string> parseArgs(const std::string& text) {
  std::map<std::string, std::string> out;
  size_t start = 0;
  while (start <= text.size()) {
    size_t end = text.find(';', start);
    if (end == std::string::npos) end = text.size();
    std::string pair = text.substr(start, end - start);
    if (!pair.empty()) {
      size_t eq = pair.find('=');
      if (eq == std::string::npos || eq == 0)
        throw Error(kInvalidEnvironment,
                    "CNI_ARGS: '" + printableName(pair) + "' is not KEY=VALUE");
      out[pair.substr(0, eq)] = pair.substr(eq + 1);
    }
    start = end + 1;
  }
  return out;
}

std::string need(const Environment& env, const std::string& name, bool allowEmpty = false) {
  auto v = env(name);
  if (!v || (v->empty() && !allowEmpty)) throw Error(kInvalidEnvironment, name + " is not set");
  return *v;
}

// `key` of `object` as a string, when present; Error naming `where` when it is something else.
std::optional<std::string> stringAt(const nlohmann::json& object, const char* key,
                                    const std::string& where) {
  if (!object.is_object()) return std::nullopt;
  auto it = object.find(key);
  if (it == object.end() || it->is_null()) return std::nullopt;
  if (!it->is_string()) throw Error(kInvalidConfig, where + " must be a string");
  return it->get<std::string>();
}

std::optional<uint64_t> tableAt(const nlohmann::json& object, const std::string& where) {
  if (!object.is_object()) return std::nullopt;
  auto it = object.find("table");
  if (it == object.end() || it->is_null()) return std::nullopt;
  if (!it->is_number_unsigned()) throw Error(kInvalidConfig, where + " must be a table number");
  uint64_t t = it->get<uint64_t>();
  if (auto e = tableError(t)) throw Error(kInvalidConfig, where + ": " + *e);
  return t;
}

}  // namespace

Request parseRequest(const Environment& env, const std::string& stdinText) {
  Request r;
  r.command = need(env, "CNI_COMMAND");
  if (r.command != "ADD" && r.command != "DEL" && r.command != "CHECK" && r.command != "VERSION")
    throw Error(kInvalidEnvironment, "CNI_COMMAND '" + printableName(r.command) +
                                         "' is none of ADD, DEL, CHECK, VERSION");
  r.config = nlohmann::json::parse(stdinText, nullptr, false);
  if (r.command == "VERSION") {
    // Its stdin carries only {"cniVersion"}, and may carry nothing.
    if (r.config.is_object() && r.config.contains("cniVersion") &&
        r.config["cniVersion"].is_string())
      r.version = r.config["cniVersion"].get<std::string>();
    return r;
  }
  if (!r.config.is_object())
    throw Error(kDecodeFailure, "the network configuration on stdin is not a JSON object");
  r.version = stringAt(r.config, "cniVersion", "cniVersion").value_or("");
  if (r.version.empty())
    throw Error(kIncompatibleVersion, "the network configuration has no cniVersion");
  if (!isSupported(r.version))
    throw Error(kIncompatibleVersion, "CNI version '" + printableName(r.version) +
                                          "' is not supported (0.3.0, 0.3.1, 0.4.0, 1.0.0)");
  if (r.command == "CHECK" && (r.version == "0.3.0" || r.version == "0.3.1"))
    throw Error(kIncompatibleVersion, "CHECK needs CNI version 0.4.0 or later, not " + r.version);
  r.containerId = need(env, "CNI_CONTAINERID");
  r.netns = need(env, "CNI_NETNS", r.command == "DEL");
  r.ifname = need(env, "CNI_IFNAME");
  r.args = parseArgs(env("CNI_ARGS").value_or(""));
  return r;
}

Choice choose(const Request& r) {
  Choice c;
  const nlohmann::json& conf = r.config;
  if (auto s = conf.find("strict"); s != conf.end() && !s->is_null()) {
    if (!s->is_boolean()) throw Error(kInvalidConfig, "strict must be true or false");
    c.strict = s->get<bool>();
  }
  if (auto i = conf.find("interfaces"); i != conf.end() && !i->is_null()) {
    if (!i->is_array() || i->empty())
      throw Error(kInvalidConfig, "interfaces must be a list of interface names");
    for (const auto& name : *i) {
      if (!name.is_string()) throw Error(kInvalidConfig, "interfaces must be interface names");
      if (auto e = ifnameError(name.get<std::string>()))
        throw Error(kInvalidConfig,
                    "interfaces: '" + printableName(name.get<std::string>()) + "': " + *e);
      c.interfaces.push_back(name.get<std::string>());
    }
  } else {
    c.interfaces.push_back(r.ifname);
  }
  // The configuration's own table belongs to its own VRF.
  std::optional<std::string> configured = stringAt(conf, "vrf", "vrf");
  std::optional<uint64_t> configuredTable = tableAt(conf, "table");
  if (configuredTable && !configured) throw Error(kInvalidConfig, "table is set without vrf");

  const nlohmann::json* cniArgs = nullptr;
  if (auto a = conf.find("args"); a != conf.end() && a->is_object())
    if (auto ca = a->find("cni"); ca != a->end()) cniArgs = &*ca;
  const nlohmann::json* annotations = nullptr;
  if (auto rc = conf.find("runtimeConfig"); rc != conf.end() && rc->is_object())
    if (auto an = rc->find(kAnnotationsCapability); an != rc->end()) annotations = &*an;
  auto nonEmpty = [](std::optional<std::string> v) { return v && !v->empty() ? v : std::nullopt; };
  std::optional<std::string> argsVrf =
      cniArgs ? nonEmpty(stringAt(*cniArgs, "vrf", "args.cni vrf")) : std::nullopt;
  std::optional<std::string> annotated =
      annotations ? nonEmpty(stringAt(*annotations, kAnnotation, "pod annotation netvrf.vrf"))
                  : std::nullopt;
  auto fromArgs = r.args.find(kArgsKey);

  if (argsVrf) {
    c.vrf = *argsVrf;
    c.from = "args.cni";
    c.table = tableAt(*cniArgs, "args.cni table");
  } else if (annotated) {
    c.vrf = *annotated;
    c.from = std::string("pod annotation ") + kAnnotation;
  } else if (fromArgs != r.args.end() && !fromArgs->second.empty()) {
    c.vrf = fromArgs->second;
    c.from = std::string("CNI_ARGS ") + kArgsKey;
  } else if (configured && !configured->empty()) {
    c.vrf = *configured;
    c.from = "the plugin configuration";
    c.table = configuredTable;
  } else {
    return c;  // nothing asked for
  }
  if (auto e = ifnameError(c.vrf))
    throw Error(kInvalidConfig, "VRF '" + printableName(c.vrf) + "' (" + c.from + "): " + *e);
  return c;
}

}  // namespace netvrf::cni
