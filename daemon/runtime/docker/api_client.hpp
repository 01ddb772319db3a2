#pragma once

#include <curl/curl.h>

#include <stdexcept>
#include <string>

namespace netvrf::docker {

inline constexpr const char* kApiVersion = "v1.41";
// Podman's own API (its paths start with /libpod): the oldest version Podman 4 and 5 take.
inline constexpr const char* kLibpodVersion = "v4.0.0";

// The Engine API could not be reached (not an HTTP error: those come back as a Response).
class Unavailable : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Plain request/response calls over Docker's unix socket. One instance per thread.
class ApiClient {
 public:
  explicit ApiClient(std::string socket);
  ~ApiClient();
  ApiClient(const ApiClient&) = delete;
  ApiClient& operator=(const ApiClient&) = delete;

  struct Response {
    long status = 0;
    std::string body;
  };
  // `path` starts after the version, e.g. "/containers/json". Throws Unavailable.
  Response get(const std::string& path, const char* version = kApiVersion);

 private:
  std::string socket_;
  CURL* curl_;
};

}  // namespace netvrf::docker
