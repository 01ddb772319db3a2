#include "spec.hpp"

#include <algorithm>

#include "common/printable.hpp"

namespace netvrf::cni {

const std::vector<std::string>& supportedVersions() {
  static const std::vector<std::string> versions{"0.3.0", "0.3.1", "0.4.0", "1.0.0"};
  return versions;
}

bool isSupported(const std::string& version) {
  const auto& v = supportedVersions();
  return std::find(v.begin(), v.end(), version) != v.end();
}

nlohmann::json errorJson(const std::string& version, const Error& e) {
  nlohmann::json j{{"cniVersion", isSupported(version) ? version : supportedVersions().back()},
                   {"code", e.code()},
                   {"msg", e.what()}};
  if (!e.details().empty()) j["details"] = e.details();
  return j;
}

nlohmann::json versionJson(const std::string& version) {
  return {{"cniVersion", isSupported(version) ? version : supportedVersions().back()},
          {"supportedVersions", supportedVersions()}};
}

namespace {

bool namesIpVersion(const std::string& version) {
  return version != "1.0.0";
}

}  // namespace

nlohmann::json convertResult(const nlohmann::json& result, const std::string& fromVersion,
                             const std::string& toVersion) {
  if (!result.is_object()) throw Error(kDecodeFailure, "prevResult is not a JSON object");
  std::string from = fromVersion;
  if (auto v = result.find("cniVersion"); v != result.end()) {
    if (!v->is_string()) throw Error(kDecodeFailure, "prevResult: cniVersion is not a string");
    from = v->get<std::string>();
  }
  if (!isSupported(from))
    throw Error(kIncompatibleVersion, "prevResult has CNI version " + printableName(from) +
                                          "; this plugin reads 0.3.0 to 1.0.0");
  if (!isSupported(toVersion))
    throw Error(kIncompatibleVersion,
                "CNI version " + printableName(toVersion) + " is not supported");
  nlohmann::json out = result;
  out["cniVersion"] = toVersion;
  auto ips = out.find("ips");
  if (ips == out.end()) return out;
  if (!ips->is_array()) throw Error(kDecodeFailure, "prevResult: ips is not an array");
  for (auto& ip : *ips) {
    if (!ip.is_object() || !ip.contains("address") || !ip["address"].is_string())
      throw Error(kDecodeFailure, "prevResult: an entry of ips has no address");
    if (namesIpVersion(toVersion)) {
      // "192.0.2.5/24" or "2001:db8::5/64": the family shows in the address.
      ip["version"] = ip["address"].get<std::string>().find(':') == std::string::npos ? "4" : "6";
    } else {
      ip.erase("version");
    }
  }
  return out;
}

}  // namespace netvrf::cni
