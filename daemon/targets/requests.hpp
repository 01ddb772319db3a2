#pragma once

#include <nlohmann/json_fwd.hpp>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "attach/host_side.hpp"
#include "attach/inside.hpp"

namespace netvrf {

// What a user asked for over the API (netvrfctl attach / detach), kept across container
// restarts and recreations, netvrfd restarts and reboots. Keyed by runtime and container
// *name*, so that `docker rm` + `docker run --name` (a compose recreate) finds it again.
struct StoredRequest {
  enum class Part { Inside, Host };  // a VRF inside its namespace / a veth leg into a host VRF
  std::string runtime;
  std::string name;
  Part part = Part::Inside;
  // A detach: the part stays out, whatever the container's labels ask for, until an attach.
  bool detached = false;
  InsideRequest inside;  // Part::Inside and attached
  // Part::Host and attached. Its hostIfname is not kept: it is derived from the container id,
  // which changes when the container is recreated.
  HostSideRequest host;

  const std::string& vrf() const { return part == Part::Inside ? inside.vrf : host.vrf; }
  bool sameKey(const std::string& r, const std::string& n, Part p) const {
    return runtime == r && name == n && part == p;
  }
};

const char* toString(StoredRequest::Part p);  // "inside", "host"

// A requests file that cannot be used; the message is one line naming the file and the cause.
class RequestFileError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// The stored requests, in one readable JSON file written atomically (the old or the new
// content, never part of it). Loaded once at start; every change is written before it counts.
class RequestStore {
 public:
  // Reads `path` if it exists; throws RequestFileError for one that cannot be used.
  explicit RequestStore(std::string path);

  const std::vector<StoredRequest>& all() const { return requests_; }
  const StoredRequest* find(const std::string& runtime, const std::string& name,
                            StoredRequest::Part part) const;
  // Replaces the request of the same runtime, name and part. Written before it returns; on
  // failure (std::system_error naming the file) nothing changed.
  void put(StoredRequest request);
  // False when there was none; otherwise as put().
  bool erase(const std::string& runtime, const std::string& name, StoredRequest::Part part);

  const std::string& path() const { return path_; }

 private:
  void save(const std::vector<StoredRequest>& requests) const;
  std::string path_;
  std::vector<StoredRequest> requests_;
};

// The JSON form of requests, as the file and Describe() show them.
std::string requestsJson(const std::vector<StoredRequest>& requests);
// One request to and from its JSON form; storedRequestOf throws std::runtime_error (or
// nlohmann::json::exception) naming what is wrong.
nlohmann::json jsonOf(const StoredRequest& r);
StoredRequest storedRequestOf(const nlohmann::json& j);

}  // namespace netvrf
