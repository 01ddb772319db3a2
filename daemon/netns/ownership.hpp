#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "netns/pin.hpp"

namespace netvrf {

// What netvrfd knows about an entry it created: enough to prove, after a restart, that the entry
// is still its own (same namespace) and whether its container still runs (same process).
struct OwnershipRecord {
  std::string entry;  // name under the netns directory
  std::string runtime;
  std::string containerId;
  std::string containerName;
  pid_t pid = 0;
  uint64_t startTime = 0;
  NsIdentity ns;
};

// One JSON file per entry under <state_dir>/netns/. Written before the mount and removed after
// the unmount, so a crash in between leaves a record without a mount (harmless, collected at
// start), never a mount without a record (which nobody would ever remove).
class OwnershipStore {
 public:
  explicit OwnershipStore(std::string stateDir);

  void prepare();                            // creates the directory
  void save(const OwnershipRecord& record);  // atomic (write + rename); throws system_error
  void remove(const std::string& entry);
  std::optional<OwnershipRecord> find(const std::string& entry) const;
  // Every readable record; unreadable files are reported in `errors` and skipped.
  std::vector<OwnershipRecord> loadAll(std::vector<std::string>* errors = nullptr) const;

 private:
  std::string fileOf(const std::string& entry) const;
  std::string dir_;
};

}  // namespace netvrf
