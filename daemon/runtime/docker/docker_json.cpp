#include "runtime/docker/docker_json.hpp"

#include <cstdio>
#include <nlohmann/json.hpp>
#include <stdexcept>

namespace netvrf::docker {

using nlohmann::json;

namespace {

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
  Network n;
  n.id = j["Id"];
  n.name = j.value("Name", "");
  n.driver = j.value("Driver", "");
  n.labels = stringMap(j, "Labels");
  if (n.driver == "bridge") {
    auto options = stringMap(j, "Options");
    auto name = options.find("com.docker.network.bridge.name");
    n.bridge = name != options.end() ? name->second : "br-" + n.id.substr(0, 12);
  }
  return n;
}

}  // namespace

std::optional<Event> parseEvent(std::string_view line) {
  json j = json::parse(line, nullptr, false);
  if (j.is_discarded() || !j.is_object()) return std::nullopt;
  Event e;
  e.type = j.value("Type", "");
  if (e.type != "container" && e.type != "network") return std::nullopt;
  e.action = j.value("Action", "");
  const json& actor = j.value("Actor", json::object());
  e.id = actor.value("ID", "");
  if (auto a = actor.find("Attributes"); a != actor.end() && a->is_object())
    e.name = a->value("name", "");
  e.timeNano = j.value("timeNano", int64_t{0});
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
    c.pid = state.value("Pid", 0);
    c.running = state.value("Running", false);
    c.startedAt = state.value("StartedAt", "");
    c.networkMode = j.value("HostConfig", json::object()).value("NetworkMode", "");
    c.sandboxKey = j.value("NetworkSettings", json::object()).value("SandboxKey", "");
    c.labels = stringMap(j.value("Config", json::object()), "Labels");
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
