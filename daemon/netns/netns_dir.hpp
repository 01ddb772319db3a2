#pragma once

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "netns/pin.hpp"

namespace netvrf {

// The directory iproute2 keeps named namespaces in (/var/run/netns), managed with iproute2's
// own protocol so that `ip netns add/del` and netvrfd never race: the directory is a shared
// mount, every change happens under flock(LOCK_EX) on it, entries are created with O_EXCL.
class NetnsDir {
 public:
  explicit NetnsDir(std::string path) : path_(std::move(path)) {}

  // Creates the directory and makes it a shared mount, so that entries propagate to every
  // mount namespace (a container runtime's, a `ip netns exec` shell's).
  void prepare();

  struct Entry {
    bool exists = false;
    std::optional<NsIdentity> ns;  // set when a namespace is mounted on it
  };
  Entry probe(const std::string& name) const;

  // Creates `name` and bind-mounts the namespace `netnsFd` on it. Throws system_error; EEXIST
  // when the name is taken. `stillValid` runs under the lock right before the mount: returning
  // false aborts with ESRCH (the process died in between) and leaves nothing behind.
  void bind(const std::string& name, int netnsFd, const std::function<bool()>& stillValid = {});

  // Unmounts and removes `name` if it still holds `ns` (or is an empty leftover file); never
  // touches an entry that holds another namespace. Returns whether it removed something.
  bool unbind(const std::string& name, const NsIdentity& ns);

  std::vector<std::string> list() const;
  std::string pathOf(const std::string& name) const { return path_ + "/" + name; }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

}  // namespace netvrf
