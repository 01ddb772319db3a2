#pragma once

#include <string>
#include <vector>

#include "netns/pin.hpp"
#include "targets/requests.hpp"

namespace netvrf {

// A pod sandbox the CNI plugin handed over and netvrfd attached: enough for a restarted netvrfd
// to find its namespace again (the runtime's path, proved by the namespace's identity) and to
// ask for the same again.
struct SandboxRecord {
  std::string id;    // the CNI container id
  std::string name;  // as netvrfd shows it (<namespace>_<pod>)
  std::string path;  // CNI_NETNS
  NsIdentity ns;
  StoredRequest request;  // runtime "cni", name the id; the inside VRF or the host leg
};

// The sandboxes netvrfd follows, one JSON file each under <state_dir>/sandboxes/: a tmpfs, so
// a reboot, which ends every sandbox, ends their records too. Written once per ADD and removed
// at its DEL (one small file per pod, not a file rewritten at every pod's change).
class SandboxStore {
 public:
  explicit SandboxStore(std::string stateDir);

  // Atomic (write + rename); throws std::system_error naming the file.
  void save(const SandboxRecord& record);
  void remove(const std::string& id);  // throws std::system_error naming the file
  // Every readable record; a file that cannot be read is named in `errors` and removed.
  std::vector<SandboxRecord> loadAll(std::vector<std::string>& errors);

 private:
  std::string fileOf(const std::string& id) const;
  std::string dir_;
};

}  // namespace netvrf
