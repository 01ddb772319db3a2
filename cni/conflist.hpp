#pragma once

// Putting netvrf at the end of a node's network configuration (the DaemonSet's node set-up,
// `netvrf install-conflist DIR`): the file the runtime uses, and the list with netvrf added.
// Idempotent: a list that has netvrf already is left as it is.

#include <nlohmann/json.hpp>

#include <optional>
#include <string>

namespace netvrf::cni {

// `conflist` with {"type": "netvrf", capabilities: pod annotations} last in its plugins; nothing
// when netvrf is in it already. A single plugin's configuration (a .conf) becomes a list of it
// and netvrf. Throws Error(kInvalidConfig) for what is neither.
std::optional<nlohmann::json> withNetvrf(const nlohmann::json& conflist);

// The file containerd's CRI and CRI-O load in `dir`: the first *.conflist, *.conf or *.json by
// name; nothing when there is none.
std::optional<std::string> networkFileIn(const std::string& dir);

// Adds netvrf to the network file in `dir` (a .conf becomes a .conflist of the same name, the
// old file kept as NAME.conf.netvrf-orig, which no runtime loads). Returns one line saying what
// it did. Throws Error (kIoFailure, kInvalidConfig) naming the file.
std::string installInto(const std::string& dir);

}  // namespace netvrf::cni
