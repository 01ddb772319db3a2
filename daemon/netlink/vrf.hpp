#pragma once

#include <netlink/socket.h>

#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace netvrf {

// A request that cannot be carried out as asked; the message is one line naming the object
// and the cause. Nothing was changed.
class VrfError : public std::runtime_error {
 public:
  enum class Kind {
    Invalid,       // the request cannot be carried out as asked; nothing was changed
    NotSupported,  // the kernel lacks what it needs (CONFIG_NET_VRF)
    TableInUse,    // the table belongs to something else, or the VRF has another one
    NotFound,      // no such VRF
    InUse,         // the VRF still has interfaces
    Failed,        // a step failed half-way; what was done is rolled back
  };
  explicit VrfError(const std::string& what, Kind kind = Kind::Invalid)
      : std::runtime_error(what), kind_(kind) {}
  Kind kind() const { return kind_; }

 private:
  Kind kind_;
};

struct VrfInfo {
  std::string name;
  uint32_t table = 0;
  int ifindex = 0;
  bool up = false;
};

// Linux interface names: 1 to 15 bytes (IFNAMSIZ - 1), no '/', no whitespace or control
// characters, not "." or "..". Returns why `name` cannot be used, or nothing.
std::optional<std::string> ifnameError(std::string_view name);
// Tables 0 (unspec), 253 (default), 254 (main) and 255 (local) belong to the kernel.
std::optional<std::string> tableError(uint64_t table);

// The metric of the per-table catch-all, so lookups never fall through to the main table.
inline constexpr uint32_t kUnreachableMetric = 4278198272u;
inline constexpr uint32_t kL3mdevRulePref = 1000;

// VRF devices in the namespace `sock` is bound to.
class Vrfs {
 public:
  explicit Vrfs(nl_sock* sock) : sock_(sock) {}

  std::vector<VrfInfo> list();
  std::optional<VrfInfo> find(const std::string& name);

  // What creating VRF `name` would find: the VRF if it exists, and the table it has or will
  // get. An existing VRF keeps its table (`table`, if given, must be that one); a new one needs
  // `table`, valid and not held by another VRF. Throws VrfError (nothing changed) otherwise.
  struct Plan {
    std::optional<VrfInfo> existing;
    uint32_t table = 0;
  };
  Plan plan(const std::string& name, std::optional<uint64_t> table);

  // Creates VRF `name` with `table`, up, with unreachable defaults (IPv4 and IPv6) in its table
  // and the l3mdev rule present. Idempotent: an existing VRF with the same table is completed
  // and returned. Throws VrfError for a bad name or table, a table owned by another VRF, an
  // existing VRF with another table, or a kernel without VRF support; everything it created is
  // removed again when a later step fails.
  VrfInfo create(const std::string& name, uint64_t table);

  // Deletes VRF `name` and its catch-all routes. Throws VrfError if it is not a VRF.
  void remove(const std::string& name);

  // Deletes the l3mdev rules (pref 1000), which outlive the VRFs; for when the last one is gone.
  void removeL3mdevRules();
  // Deletes the catch-all routes create() put into `table`, which outlive its VRF.
  void removeUnreachableDefaults(uint32_t table);

 private:
  void addUnreachableDefaults(uint32_t table);
  void ensureL3mdevRules();

  nl_sock* sock_;
};

}  // namespace netvrf
