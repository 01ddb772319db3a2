#include "netlink/tables.hpp"

#include <netlink/cache.h>
#include <netlink/route/route.h>
#include <netlink/route/rule.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "common/atomic_file.hpp"
#include "netlink/nl_error.hpp"
#include "netlink/nl_handle.hpp"
#include "netlink/vrf.hpp"

namespace netvrf {
std::optional<uint32_t> pickTable(const TableRange& range, const std::set<uint32_t>& taken) {
  for (uint64_t t = range.first; t <= range.last; ++t) {
    if (!tableError(t) && !taken.count(uint32_t(t))) return uint32_t(t);
  }
  return std::nullopt;
}

std::set<uint32_t> tablesInUse(nl_sock* sock) {
  std::set<uint32_t> used;
  for (int family : {AF_INET, AF_INET6}) {
    nl_cache* raw = nullptr;
    checkNl(rtnl_route_alloc_cache(sock, family, 0, &raw), "list routes");
    NlCache routes(raw);
    for (nl_object* o = nl_cache_get_first(routes.get()); o; o = nl_cache_get_next(o))
      used.insert(rtnl_route_get_table(reinterpret_cast<rtnl_route*>(o)));
    checkNl(rtnl_rule_alloc_cache(sock, family, &raw), "list rules");
    NlCache rules(raw);
    for (nl_object* o = nl_cache_get_first(rules.get()); o; o = nl_cache_get_next(o))
      used.insert(rtnl_rule_get_table(reinterpret_cast<rtnl_rule*>(o)));
  }
  for (const auto& v : Vrfs(sock).list()) used.insert(v.table);
  return used;
}

TableMap::TableMap(std::string stateFile, std::string rtTablesFile)
    : stateFile_(std::move(stateFile)), rtTablesFile_(std::move(rtTablesFile)) {
  load();
}

void TableMap::load() {
  std::ifstream in(stateFile_);
  if (!in) return;
  nlohmann::json j = nlohmann::json::parse(in, nullptr, false);
  if (!j.is_object()) throw VrfError(stateFile_ + ": not a JSON object; fix or remove it");
  for (const auto& [name, table] : j.items()) {
    if (!table.is_number_unsigned() || tableError(table.get<uint64_t>()))
      throw VrfError(stateFile_ + ": VRF " + name + " has an invalid table");
    tables_[name] = table.get<uint32_t>();
  }
}

void TableMap::save() const {
  nlohmann::json j = tables_;
  std::string names = "# Written by netvrfd: the tables of the VRFs it manages.\n";
  for (const auto& [name, table] : tables_) names += std::to_string(table) + "\t" + name + "\n";
  // Readable by everyone: `ip route show table red` runs as any user.
  for (const auto& file : {stateFile_, rtTablesFile_}) {
    std::error_code ec;
    std::filesystem::create_directories(std::filesystem::path(file).parent_path(), ec);
  }
  writeFileAtomically(stateFile_, j.dump(2) + "\n", 0644);
  writeFileAtomically(rtTablesFile_, names, 0644);
}

std::optional<uint32_t> TableMap::find(const std::string& vrf) const {
  auto it = tables_.find(vrf);
  if (it == tables_.end()) return std::nullopt;
  return it->second;
}

uint32_t TableMap::allocate(const std::string& vrf, const TableRange& range,
                            const std::set<uint32_t>& inUse) {
  if (auto stored = find(vrf)) {
    if (inUse.count(*stored))
      throw VrfError("VRF " + vrf + ": its table " + std::to_string(*stored) +
                     " is now used by something else");
    return *stored;
  }
  std::set<uint32_t> taken = inUse;
  for (const auto& [name, table] : tables_) taken.insert(table);
  auto table = pickTable(range, taken);
  if (!table)
    throw VrfError("VRF " + vrf + ": no free table in " + std::to_string(range.first) + "-" +
                   std::to_string(range.last));
  tables_[vrf] = *table;
  save();
  return *table;
}

void TableMap::release(const std::string& vrf) {
  if (tables_.erase(vrf)) save();
}

}  // namespace netvrf
