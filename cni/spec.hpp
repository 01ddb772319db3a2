#pragma once

// What the CNI specification says a plugin speaks (containernetworking/cni SPEC.md, 0.3.0 to
// 1.0.0): the versions, the error object and its codes, and results in each version. Pure
// functions; the plugin's work is in plugin.cpp.

#include <nlohmann/json.hpp>

#include <stdexcept>
#include <string>
#include <vector>

namespace netvrf::cni {

// Oldest first. 0.3.0 is the first whose results have interfaces, ips and routes as today.
const std::vector<std::string>& supportedVersions();
bool isSupported(const std::string& version);

// The spec's codes (1-99 are its own; 11 asks the runtime to try again later) and netvrf's.
enum Code : int {
  kIncompatibleVersion = 1,
  kUnsupportedField = 2,
  kUnknownContainer = 3,
  kInvalidEnvironment = 4,
  kIoFailure = 5,
  kDecodeFailure = 6,
  kInvalidConfig = 7,
  kTryAgainLater = 11,
  kNoVrfSupport = 100,  // the kernel has no VRF support (CONFIG_NET_VRF)
  kTableTaken = 101,    // the table belongs to something else, or the VRF has another one
  kAttachFailed = 102,  // a step failed half-way; what was done is rolled back
  kNotAttached = 103,   // CHECK: the namespace is not as ADD left it
};

// A failure as the runtime gets it: printed on stdout as the spec's error object, the plugin
// exits non-zero. `what()` is the one-line message.
class Error : public std::runtime_error {
 public:
  Error(int code, const std::string& msg, std::string details = {})
      : std::runtime_error(msg), code_(code), details_(std::move(details)) {}
  int code() const { return code_; }
  const std::string& details() const { return details_; }

 private:
  int code_;
  std::string details_;
};

// {"cniVersion", "code", "msg"[, "details"]}.
nlohmann::json errorJson(const std::string& version, const Error& e);

// VERSION's answer: {"cniVersion", "supportedVersions"}.
nlohmann::json versionJson(const std::string& version);

// `result` (of any supported version, named by its own cniVersion, else `fromVersion`) as
// `toVersion` wants it: 0.3.x and 0.4.0 name each address's IP version ("version": "4"), 1.0.0
// does not. Throws Error (kIncompatibleVersion, kDecodeFailure) for what it cannot convert.
nlohmann::json convertResult(const nlohmann::json& result, const std::string& fromVersion,
                             const std::string& toVersion);

}  // namespace netvrf::cni
