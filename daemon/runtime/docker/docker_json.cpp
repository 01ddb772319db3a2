#include "runtime/docker/docker_json.hpp"

#include <cstdio>
#include <limits>
#include <nlohmann/json.hpp>
#include <stdexcept>

namespace netvrf::docker {

using nlohmann::json;

namespace {

// obj[key] if it is a string, else "" (json::value() would throw for another type).
std::string stringOf(const json& obj, const char* key) {
  auto it = obj.find(key);  // end() too when obj is no object
  return it != obj.end() && it->is_string() ? it->get<std::string>() : std::string();
}

// obj[key] if it is an integer that fits, else 0 (a double out of range would be UB to convert).
int64_t int64Of(const json& obj, const char* key) {
  auto it = obj.find(key);
  if (it == obj.end()) return 0;
  if (it->is_number_unsigned())
    return it->get<uint64_t>() <= uint64_t(INT64_MAX) ? int64_t(it->get<uint64_t>()) : 0;
  return it->is_number_integer() ? it->get<int64_t>() : 0;
}

std::map<std::string, std::string> stringMap(const json& obj, const char* key) {
  std::map<std::string, std::string> out;
  if (auto l = obj.find(key); l != obj.end() && l->is_object())
    for (const auto& [k, v] : l->items())
      if (v.is_string()) out[k] = v.get<std::string>();
  return out;
}

Network networkOf(const json& j) {
  if (!j.is_object() || !j.contains("Id") || !j["Id"].is_string())
    throw std::runtime_error("network: no Id");
  try {
    Network n;
    n.id = j["Id"];
    n.name = j.value("Name", "");
    n.driver = j.value("Driver", "");
    n.labels = stringMap(j, "Labels");
    if (auto ipam = j.find("IPAM"); ipam != j.end() && ipam->is_object())
      if (auto config = ipam->find("Config"); config != ipam->end() && config->is_array())
        for (const auto& c : *config)
          if (auto subnet = stringOf(c, "Subnet"); !subnet.empty()) n.subnets.push_back(subnet);
    if (n.driver == "bridge") {
      auto options = stringMap(j, "Options");
      auto name = options.find("com.docker.network.bridge.name");
      n.bridge = name != options.end() ? name->second : "br-" + n.id.substr(0, 12);
    }
    return n;
  } catch (const json::exception& e) {  // a field of another type ("Name": 1)
    throw std::runtime_error(std::string("network: ") + e.what());
  }
}

Network libpodNetworkOf(const json& j) {
  if (!j.is_object() || !j.contains("id") || !j["id"].is_string())
    throw std::runtime_error("network: no id");
  try {
    Network n;
    n.id = j["id"];
    n.name = j.value("name", "");
    n.driver = j.value("driver", "");
    n.labels = stringMap(j, "labels");
    if (auto subnets = j.find("subnets"); subnets != j.end() && subnets->is_array())
      for (const auto& c : *subnets)
        if (auto subnet = stringOf(c, "subnet"); !subnet.empty()) n.subnets.push_back(subnet);
    if (n.driver == "bridge") n.bridge = j.value("network_interface", "");
    return n;
  } catch (const json::exception& e) {
    throw std::runtime_error(std::string("network: ") + e.what());
  }
}

// State.Pid: 0 when absent; a pid_t, or the document is malformed.
pid_t pidOf(const json& state) {
  auto it = state.find("Pid");
  if (it == state.end()) return 0;
  if (it->is_number_unsigned() &&
      it->get<uint64_t>() <= uint64_t(std::numeric_limits<pid_t>::max()))
    return pid_t(it->get<uint64_t>());
  throw std::runtime_error("inspect: State.Pid is not a PID: " + it->dump());
}

// NetworkSettings.Ports: {"80/tcp": [{"HostIp": "0.0.0.0", "HostPort": "8082"}, ...], "81/tcp":
// null}: a port exposed but not published has no bindings. Entries that do not parse are left
// out: nothing is published for them.
std::vector<PublishedPort> portsOf(const json& settings) {
  std::vector<PublishedPort> out;
  auto ports = settings.find("Ports");
  if (ports == settings.end() || !ports->is_object()) return out;
  auto number = [](const std::string& text) -> int {
    if (text.empty() || text.size() > 5 || text.find_first_not_of("0123456789") != std::string::npos)
      return 0;
    int n = std::stoi(text);
    return n <= 65535 ? n : 0;
  };
  for (const auto& [key, bindings] : ports->items()) {
    auto slash = key.find('/');
    int port = number(key.substr(0, slash));
    std::string proto = slash == std::string::npos ? "tcp" : key.substr(slash + 1);
    if (!port || !bindings.is_array()) continue;
    for (const auto& b : bindings) {
      if (!b.is_object()) continue;
      int hostPort = number(stringOf(b, "HostPort"));
      if (hostPort)
        out.push_back({proto, uint16_t(port), stringOf(b, "HostIp"), uint16_t(hostPort)});
    }
  }
  return out;
}

}  // namespace

// Never throws: it runs inside libcurl's write callback. A field of an unexpected type reads as
// absent.
std::optional<Event> parseEvent(std::string_view line) {
  json j = json::parse(line, nullptr, false);
  if (j.is_discarded() || !j.is_object()) return std::nullopt;
  Event e;
  e.type = stringOf(j, "Type");
  if (e.type != "container" && e.type != "network") return std::nullopt;
  e.action = stringOf(j, "Action");
  if (auto actor = j.find("Actor"); actor != j.end()) {
    e.id = stringOf(*actor, "ID");
    if (auto attributes = actor->find("Attributes"); attributes != actor->end()) {
      e.name = stringOf(*attributes, "name");
      e.container = stringOf(*attributes, "container");
      if (attributes->is_object())
        for (const auto& [k, v] : attributes->items())
          if (v.is_string()) e.attributes.emplace(k, v.get<std::string>());
    }
  }
  if (e.type == "network" && (e.action == "connect" || e.action == "disconnect") &&
      e.container.empty())
    e.container = e.id;  // Podman's
  e.timeNano = int64Of(j, "timeNano");
  if (e.action.empty() || e.id.empty()) return std::nullopt;
  return e;
}

std::string Container::sharedWith() const {
  constexpr std::string_view prefix = "container:";
  return networkMode.starts_with(prefix) ? networkMode.substr(prefix.size()) : std::string();
}

Container parseInspect(std::string_view body) {
  json j = json::parse(body, nullptr, false);
  if (j.is_discarded() || !j.is_object()) throw std::runtime_error("inspect: not a JSON object");
  try {
    Container c;
    c.id = j.at("Id").get<std::string>();
    c.name = j.value("Name", "");
    if (c.name.starts_with('/')) c.name.erase(0, 1);
    const json& state = j.at("State");
    c.pid = pidOf(state);
    c.running = state.value("Running", false);
    c.startedAt = state.value("StartedAt", "");
    c.networkMode = j.value("HostConfig", json::object()).value("NetworkMode", "");
    c.sandboxKey = j.value("NetworkSettings", json::object()).value("SandboxKey", "");
    c.labels = stringMap(j.value("Config", json::object()), "Labels");
    const json& settings = j.value("NetworkSettings", json::object());
    if (settings.is_object())
      if (auto nets = settings.find("Networks"); nets != settings.end() && nets->is_object())
        for (const auto& [name, n] : nets->items())
          if (n.is_object())
            c.networks.push_back({stringOf(n, "NetworkID"), name, stringOf(n, "MacAddress"),
                                  stringOf(n, "IPAddress"), stringOf(n, "GlobalIPv6Address")});
    if (settings.is_object()) c.ports = portsOf(settings);
    const json& config = j.value("Config", json::object());
    if (config.is_object() && config.contains("Image") && config["Image"].is_string())
      c.image = config["Image"].get<std::string>();
    return c;
  } catch (const json::exception& e) {
    throw std::runtime_error(std::string("inspect: ") + e.what());
  }
}

Network parseNetwork(std::string_view body) {
  json j = json::parse(body, nullptr, false);
  if (j.is_discarded()) throw std::runtime_error("network: not JSON");
  return networkOf(j);
}

std::vector<Network> parseNetworkList(std::string_view body) {
  json j = json::parse(body, nullptr, false);
  if (!j.is_array()) throw std::runtime_error("network list: not a JSON array");
  std::vector<Network> out;
  for (const auto& n : j) out.push_back(networkOf(n));
  return out;
}

Network parseLibpodNetwork(std::string_view body) {
  json j = json::parse(body, nullptr, false);
  if (j.is_discarded()) throw std::runtime_error("network: not JSON");
  return libpodNetworkOf(j);
}

std::vector<Network> parseLibpodNetworkList(std::string_view body) {
  json j = json::parse(body, nullptr, false);
  if (!j.is_array()) throw std::runtime_error("network list: not a JSON array");
  std::vector<Network> out;
  for (const auto& n : j) out.push_back(libpodNetworkOf(n));
  return out;
}

std::vector<std::string> parseContainerList(std::string_view body) {
  json j = json::parse(body, nullptr, false);
  if (!j.is_array()) throw std::runtime_error("container list: not a JSON array");
  std::vector<std::string> ids;
  for (const auto& c : j)
    if (c.is_object() && c.contains("Id") && c["Id"].is_string()) ids.push_back(c["Id"]);
  return ids;
}

std::string errorMessage(std::string_view body) {
  json j = json::parse(body, nullptr, false);
  if (j.is_object() && j.contains("message") && j["message"].is_string()) return j["message"];
  std::string s(body);
  while (!s.empty() && (s.back() == '\n' || s.back() == '\r')) s.pop_back();
  return s;
}

std::string sinceParam(int64_t timeNano) {
  char buf[40];
  std::snprintf(buf, sizeof buf, "%lld.%09lld", static_cast<long long>(timeNano / 1000000000),
                static_cast<long long>(timeNano % 1000000000));
  return buf;
}

}  // namespace netvrf::docker
