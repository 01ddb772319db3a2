#pragma once

#include <netlink/socket.h>

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>

namespace netvrf {

struct TableRange {
  uint32_t first = 1001;
  uint32_t last = 1999;
};

// The lowest table in `range` that is neither reserved (0, 253-255) nor in `taken`; nothing
// when the range is full.
std::optional<uint32_t> pickTable(const TableRange& range, const std::set<uint32_t>& taken);

// Every table the namespace `sock` is bound to uses: VRFs', rules' and routes' (IPv4 and IPv6).
std::set<uint32_t> tablesInUse(nl_sock* sock);

// Which table each VRF name has: persisted (so VRF red gets the same table every time) and
// written as an iproute2 table-name file (so `ip route show table red` works).
class TableMap {
 public:
  // `stateFile`: JSON name -> table. `rtTablesFile`: e.g. /etc/iproute2/rt_tables.d/netvrf.conf.
  TableMap(std::string stateFile, std::string rtTablesFile);

  std::optional<uint32_t> find(const std::string& vrf) const;
  // The table for `vrf`: its stored one, or the lowest free one in `range` (not in `inUse`, nor
  // stored for another VRF), stored at once. Throws VrfError when the range is full, or when
  // the stored table is now used by something else (`inUse` without this VRF).
  uint32_t allocate(const std::string& vrf, const TableRange& range,
                    const std::set<uint32_t>& inUse);
  void release(const std::string& vrf);

 private:
  void load();
  void save() const;  // both files, each written atomically

  std::string stateFile_;
  std::string rtTablesFile_;
  std::map<std::string, uint32_t> tables_;
};

}  // namespace netvrf
