#include "config.hpp"

#include <fstream>
#include <functional>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>

#include "common/log.hpp"
#include "netns/name.hpp"

namespace netvrf {
namespace {

using nlohmann::json;

class Reader {
 public:
  explicit Reader(std::string_view origin) : origin_(origin) {}

  [[noreturn]] void fail(const std::string& key, const std::string& why) const {
    throw ConfigError(origin_ + ": key '" + key + "' " + why);
  }

  std::string str(const json& v, const std::string& key) const {
    if (!v.is_string()) fail(key, "must be a string, not " + std::string(v.type_name()));
    return v.get<std::string>();
  }
  bool boolean(const json& v, const std::string& key) const {
    if (!v.is_boolean()) fail(key, "must be true or false, not " + std::string(v.type_name()));
    return v.get<bool>();
  }

  std::vector<std::string> strings(const json& v, const std::string& key) const {
    if (!v.is_array()) fail(key, "must be a list of strings, not " + std::string(v.type_name()));
    std::vector<std::string> out;
    for (const auto& s : v) out.push_back(str(s, key));
    return out;
  }
  uint32_t table(const json& v, const std::string& key) const {
    if (!v.is_number_unsigned())
      fail(key, "must be a table number, not " + std::string(v.type_name()));
    uint64_t t = v.get<uint64_t>();
    if (t == 0 || (t >= 253 && t <= 255) || t > UINT32_MAX)
      fail(key, "must be a table from 1 to 4294967295 other than 253, 254 and 255");
    return uint32_t(t);
  }

  // Calls the handler registered for each key; any other key is an error, so that a typo never
  // silently falls back to a default.
  void object(const json& obj, const std::string& prefix,
              const std::map<std::string, std::function<void(const json&, const std::string&)>>&
                  handlers) const {
    if (!obj.is_object()) {
      if (prefix.empty()) throw ConfigError(origin_ + ": the document must be a JSON object");
      fail(prefix, "must be an object, not " + std::string(obj.type_name()));
    }
    for (const auto& [key, value] : obj.items()) {
      std::string full = prefix.empty() ? key : prefix + "." + key;
      auto it = handlers.find(key);
      if (it == handlers.end()) throw ConfigError(origin_ + ": unknown key '" + full + "'");
      it->second(value, full);
    }
  }

 private:
  std::string origin_;
};

void checkTemplate(const Reader& r, const std::string& key, const std::string& tmpl,
                   bool allowEmpty) {
  if (tmpl.empty() && allowEmpty) return;
  if (auto err = templateError(tmpl)) r.fail(key, *err);
}

bool validRuntimeName(const std::string& name) {
  if (name.empty() || name.size() > 32) return false;
  for (char ch : name)
    if (!((ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') || ch == '-')) return false;
  return true;
}

// docker.endpoints: [{"name": "podman", "socket": "/run/podman/podman.sock"}, ...]. The names
// "docker", "containerd" and "process" belong to netvrfd's own watchers.
std::vector<EngineEndpoint> endpoints(const Reader& r, const json& v, const std::string& key) {
  if (!v.is_array()) r.fail(key, "must be a list of {\"name\", \"socket\"} objects");
  std::vector<EngineEndpoint> out;
  for (size_t i = 0; i < v.size(); ++i) {
    std::string at = key + "[" + std::to_string(i) + "]";
    EngineEndpoint e;
    r.object(v[i], at,
             {
                 {"name", [&](const json& x, const std::string& k) { e.name = r.str(x, k); }},
                 {"socket", [&](const json& x, const std::string& k) { e.socket = r.str(x, k); }},
             });
    if (!validRuntimeName(e.name))
      r.fail(at + ".name", "must be 1 to 32 of a-z, 0-9 and '-'");
    if (e.name == "docker" || e.name == "process" || e.name.starts_with("containerd"))
      r.fail(at + ".name", "must not be '" + e.name + "': netvrfd's own watchers use it");
    if (e.socket.empty() || e.socket.front() != '/')
      r.fail(at + ".socket", "must be an absolute path");
    for (const auto& seen : out) {
      if (seen.name == e.name) r.fail(at + ".name", "repeats '" + e.name + "'");
      if (seen.socket == e.socket) r.fail(at + ".socket", "repeats '" + e.socket + "'");
    }
    out.push_back(std::move(e));
  }
  return out;
}

}  // namespace

Config parseConfig(std::string_view text, std::string_view origin) {
  json doc;
  try {
    doc = json::parse(text);
  } catch (const json::exception& e) {
    // A syntax error, or a number too big for a double (out_of_range.406, "1e400"). nlohmann's
    // text reads "[json.exception.parse_error.101] parse error at line 2, ...".
    std::string what = e.what();
    auto pos = what.find("] ");
    throw ConfigError(std::string(origin) + ": " +
                      (pos == std::string::npos ? what : what.substr(pos + 2)));
  }
  Config c;
  Reader r(origin);
  r.object(
      doc, "",
      {
          {"netns_dir", [&](const json& v, const std::string& k) { c.netnsDir = r.str(v, k); }},
          {"state_dir", [&](const json& v, const std::string& k) { c.stateDir = r.str(v, k); }},
          {"name_template",
           [&](const json& v, const std::string& k) { c.nameTemplate = r.str(v, k); }},
          {"fallback_template",
           [&](const json& v, const std::string& k) { c.fallbackTemplate = r.str(v, k); }},
          {"cleanup_on_exit",
           [&](const json& v, const std::string& k) { c.cleanupOnExit = r.boolean(v, k); }},
          {"log_level", [&](const json& v, const std::string& k) { c.logLevel = r.str(v, k); }},
          {"docker",
           [&](const json& v, const std::string& k) {
             r.object(
                 v, k,
                 {
                     {"enabled",
                      [&](const json& x, const std::string& kk) {
                        c.docker.enabled = r.boolean(x, kk);
                      }},
                     {"socket", [&](const json& x,
                                    const std::string& kk) { c.docker.socket = r.str(x, kk); }},
                     {"endpoints",
                      [&](const json& x, const std::string& kk) {
                        c.docker.endpoints = endpoints(r, x, kk);
                      }},
                 });
           }},
          {"containerd",
           [&](const json& v, const std::string& k) {
             r.object(
                 v, k,
                 {
                     {"enabled",
                      [&](const json& x, const std::string& kk) {
                        c.containerd.enabled = r.boolean(x, kk);
                      }},
                     {"socket",
                      [&](const json& x, const std::string& kk) {
                        c.containerd.socket = r.str(x, kk);
                      }},
                     {"namespaces",
                      [&](const json& x, const std::string& kk) {
                        c.containerd.namespaces = r.strings(x, kk);
                      }},
                 });
           }},
          {"api",
           [&](const json& v, const std::string& k) {
             r.object(v, k,
                      {
                          {"group", [&](const json& x,
                                        const std::string& kk) { c.api.group = r.str(x, kk); }},
                      });
           }},
          {"policies",
           [&](const json& v, const std::string& k) {
             if (!v.is_array()) r.fail(k, "must be a list of policies, not " + std::string(v.type_name()));
             for (size_t i = 0; i < v.size(); ++i) {
               std::string at = k + "[" + std::to_string(i) + "]";
               try {
                 c.policies.push_back(parsePolicy(v[i]));
               } catch (const PolicyError& e) {
                 r.fail(e.key.empty() ? at : at + "." + e.key, e.what());
               }
             }
           }},
          {"vrf",
           [&](const json& v, const std::string& k) {
             r.object(
                 v, k,
                 {
                     {"table_file", [&](const json& x,
                                        const std::string& kk) { c.vrf.tableFile = r.str(x, kk); }},
                     {"rt_tables_file",
                      [&](const json& x, const std::string& kk) {
                        c.vrf.rtTablesFile = r.str(x, kk);
                      }},
                     {"requests_file",
                      [&](const json& x, const std::string& kk) {
                        c.vrf.requestsFile = r.str(x, kk);
                      }},
                     {"table_first",
                      [&](const json& x, const std::string& kk) {
                        c.vrf.tableFirst = r.table(x, kk);
                      }},
                     {"table_last",
                      [&](const json& x, const std::string& kk) {
                        c.vrf.tableLast = r.table(x, kk);
                      }},
                 });
           }},
      });
  for (auto [key, dir] : {std::pair{"netns_dir", &c.netnsDir},
                          {"state_dir", &c.stateDir},
                          {"vrf.table_file", &c.vrf.tableFile},
                          {"vrf.rt_tables_file", &c.vrf.rtTablesFile},
                          {"vrf.requests_file", &c.vrf.requestsFile}}) {
    if (dir->empty() || dir->front() != '/') r.fail(key, "must be an absolute path");
  }
  if (c.vrf.tableFirst > c.vrf.tableLast) r.fail("vrf.table_first", "is above vrf.table_last");
  checkTemplate(r, "name_template", c.nameTemplate, false);
  checkTemplate(r, "fallback_template", c.fallbackTemplate, true);
  if (log::parsePriority(c.logLevel) < 0)
    r.fail("log_level", "must be one of error, warning, notice, info, debug");
  return c;
}

Config loadConfig(const std::optional<std::string>& path) {
  std::string file = path.value_or(kDefaultConfigPath);
  std::ifstream in(file);
  if (!in) {
    if (!path) return Config{};  // no file at the default place: built-in defaults
    throw ConfigError(file + ": cannot read the file");
  }
  std::stringstream ss;
  ss << in.rdbuf();
  return parseConfig(ss.str(), file);
}

std::vector<std::string> applyReload(Config& live, const Config& fresh) {
  live.logLevel = fresh.logLevel;
  live.nameTemplate = fresh.nameTemplate;
  live.fallbackTemplate = fresh.fallbackTemplate;
  live.cleanupOnExit = fresh.cleanupOnExit;
  live.api = fresh.api;
  live.policies = fresh.policies;
  std::vector<std::string> restart;
  auto check = [&](const char* key, const auto& a, const auto& b) {
    if (a != b) restart.emplace_back(key);
  };
  check("netns_dir", live.netnsDir, fresh.netnsDir);
  check("state_dir", live.stateDir, fresh.stateDir);
  check("docker.enabled", live.docker.enabled, fresh.docker.enabled);
  check("docker.socket", live.docker.socket, fresh.docker.socket);
  check("docker.endpoints", live.docker.endpoints, fresh.docker.endpoints);
  check("containerd.enabled", live.containerd.enabled, fresh.containerd.enabled);
  check("containerd.socket", live.containerd.socket, fresh.containerd.socket);
  check("containerd.namespaces", live.containerd.namespaces, fresh.containerd.namespaces);
  check("vrf.table_file", live.vrf.tableFile, fresh.vrf.tableFile);
  check("vrf.rt_tables_file", live.vrf.rtTablesFile, fresh.vrf.rtTablesFile);
  check("vrf.requests_file", live.vrf.requestsFile, fresh.vrf.requestsFile);
  check("vrf.table_first", live.vrf.tableFirst, fresh.vrf.tableFirst);
  check("vrf.table_last", live.vrf.tableLast, fresh.vrf.tableLast);
  return restart;
}

}  // namespace netvrf
