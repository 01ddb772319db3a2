#pragma once

// The plugin's commands, done in the pod's namespace with netvrfd's own attach code
// (attach/inside.hpp): the same VRF, table, routes, addresses, rule and sysctls as
// `netvrfctl attach`, all or nothing.

#include <nlohmann/json.hpp>

#include <optional>
#include <string>

#include "config.hpp"
#include "request.hpp"

namespace netvrf::cni {

// Where VRF names' tables are kept, shared with netvrfd (its vrf.table_file and
// vrf.rt_tables_file; the configuration's "table_file" and "rt_tables_file" override them).
struct TableFiles {
  std::string state = VrfConfig{}.tableFile;
  std::string names = VrfConfig{}.rtTablesFile;
};
TableFiles tableFilesOf(const nlohmann::json& config);

// ADD prints its result, the others nothing. Throws Error.
std::optional<nlohmann::json> run(const Request& r);

}  // namespace netvrf::cni
