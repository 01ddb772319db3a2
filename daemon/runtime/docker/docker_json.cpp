#include "runtime/docker/docker_json.hpp"

#include <cstdio>
#include <nlohmann/json.hpp>
#include <stdexcept>

namespace netvrf::docker {

using nlohmann::json;

std::optional<Event> parseEvent(std::string_view line) {
  json j = json::parse(line, nullptr, false);
  if (j.is_discarded() || !j.is_object()) return std::nullopt;
  if (j.value("Type", "") != "container") return std::nullopt;
  Event e;
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
    c.networkMode = j.value("HostConfig", json::object()).value("NetworkMode", "");
    c.sandboxKey = j.value("NetworkSettings", json::object()).value("SandboxKey", "");
    const json& config = j.value("Config", json::object());
    if (auto l = config.find("Labels"); l != config.end() && l->is_object()) {
      for (const auto& [k, v] : l->items())
        if (v.is_string()) c.labels[k] = v.get<std::string>();
    }
    return c;
  } catch (const json::exception& e) {
    throw std::runtime_error(std::string("inspect: ") + e.what());
  }
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
