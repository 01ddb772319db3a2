#include "targets/requests.hpp"

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "common/atomic_file.hpp"
#include "netlink/vrf.hpp"

namespace netvrf {
namespace {

using nlohmann::json;
constexpr int kVersion = 1;

}  // namespace

json jsonOf(const StoredRequest& r) {
  json j = {{"runtime", r.runtime},
            {"name", r.name},
            {"part", toString(r.part)},
            {"action", r.detached ? "detach" : "attach"}};
  if (r.detached) return j;
  if (r.part == StoredRequest::Part::Inside) {
    j["vrf"] = r.inside.vrf;
    if (r.inside.table) j["table"] = *r.inside.table;
    j["interfaces"] = r.inside.interfaces;
    j["strict"] = r.inside.strict;
  } else {
    j["vrf"] = r.host.vrf;
    if (r.host.table) j["table"] = *r.host.table;
    j["interface"] = r.host.containerIfname;
    j["addresses"] = r.host.addresses;
    j["gateways"] = r.host.gateways;
  }
  return j;
}

StoredRequest storedRequestOf(const json& j) {
  StoredRequest r;
  r.runtime = j.at("runtime").get<std::string>();
  r.name = j.at("name").get<std::string>();
  if (r.runtime.empty() || r.name.empty()) throw std::runtime_error("empty runtime or name");
  std::string part = j.at("part").get<std::string>();
  if (part == "host")
    r.part = StoredRequest::Part::Host;
  else if (part != "inside")
    throw std::runtime_error("part '" + part + "' is not inside or host");
  std::string action = j.at("action").get<std::string>();
  if (action != "attach" && action != "detach")
    throw std::runtime_error("action '" + action + "' is not attach or detach");
  r.detached = action == "detach";
  if (r.detached) return r;
  std::string vrf = j.at("vrf").get<std::string>();
  if (auto e = ifnameError(vrf)) throw std::runtime_error("VRF '" + vrf + "': " + *e);
  std::optional<uint64_t> table;
  if (j.contains("table")) {
    table = j.at("table").get<uint64_t>();
    if (auto e = tableError(*table)) throw std::runtime_error(*e);
  }
  if (r.part == StoredRequest::Part::Inside) {
    r.inside.vrf = vrf;
    r.inside.table = table;
    r.inside.interfaces = j.value("interfaces", std::vector<std::string>{});
    for (const auto& i : r.inside.interfaces)
      if (auto e = ifnameError(i)) throw std::runtime_error("interface '" + i + "': " + *e);
    r.inside.strict = j.value("strict", false);
  } else {
    r.host.vrf = vrf;
    r.host.table = table;
    r.host.containerIfname = j.value("interface", defaultContainerIfname(vrf));
    r.host.addresses = j.at("addresses").get<std::vector<std::string>>();
    r.host.gateways = j.value("gateways", std::vector<std::string>{});
    if (auto e = hostSideAddressError(r.host)) throw std::runtime_error(*e);
  }
  return r;
}

const char* toString(StoredRequest::Part p) {
  return p == StoredRequest::Part::Inside ? "inside" : "host";
}

std::string requestsJson(const std::vector<StoredRequest>& requests) {
  json list = json::array();
  for (const auto& r : requests) list.push_back(jsonOf(r));
  return list.dump();
}

RequestStore::RequestStore(std::string path) : path_(std::move(path)) {
  std::ifstream in(path_);
  if (!in) return;  // none yet
  json doc = json::parse(in, nullptr, false);
  if (!doc.is_object() || !doc.contains("requests") || !doc["requests"].is_array())
    throw RequestFileError(path_ + ": not a netvrf requests file; fix or remove it");
  size_t index = 0;
  for (const auto& j : doc["requests"]) {
    try {
      StoredRequest r = storedRequestOf(j);
      if (find(r.runtime, r.name, r.part))
        throw std::runtime_error("a second request for the same container and part");
      requests_.push_back(std::move(r));
    } catch (const std::exception& e) {
      throw RequestFileError(path_ + ": request " + std::to_string(index) + ": " + e.what() +
                             "; fix or remove it");
    }
    ++index;
  }
}

const StoredRequest* RequestStore::find(const std::string& runtime, const std::string& name,
                                        StoredRequest::Part part) const {
  for (const auto& r : requests_)
    if (r.sameKey(runtime, name, part)) return &r;
  return nullptr;
}

void RequestStore::save(const std::vector<StoredRequest>& requests) const {
  json list = json::array();
  for (const auto& r : requests) list.push_back(jsonOf(r));
  std::filesystem::path dir = std::filesystem::path(path_).parent_path();
  std::error_code ec;
  if (!dir.empty()) std::filesystem::create_directories(dir, ec);
  writeFileAtomically(path_, json{{"version", kVersion}, {"requests", list}}.dump(2) + "\n", 0644);
}

void RequestStore::put(StoredRequest request) {
  std::vector<StoredRequest> next = requests_;
  auto it = std::find_if(next.begin(), next.end(), [&](const StoredRequest& r) {
    return r.sameKey(request.runtime, request.name, request.part);
  });
  if (it != next.end())
    *it = std::move(request);
  else
    next.push_back(std::move(request));
  save(next);
  requests_ = std::move(next);
}

bool RequestStore::erase(const std::string& runtime, const std::string& name,
                         StoredRequest::Part part) {
  std::vector<StoredRequest> next = requests_;
  auto it = std::find_if(next.begin(), next.end(),
                         [&](const StoredRequest& r) { return r.sameKey(runtime, name, part); });
  if (it == next.end()) return false;
  next.erase(it);
  save(next);
  requests_ = std::move(next);
  return true;
}

}  // namespace netvrf
