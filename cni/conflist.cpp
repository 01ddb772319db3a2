#include "conflist.hpp"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <vector>

#include "common/atomic_file.hpp"
#include "request.hpp"
#include "spec.hpp"

namespace netvrf::cni {

namespace fs = std::filesystem;

namespace {

nlohmann::json netvrfEntry() {
  return {{"type", "netvrf"}, {"capabilities", {{kAnnotationsCapability, true}}}};
}

}  // namespace

std::optional<nlohmann::json> withNetvrf(const nlohmann::json& conflist) {
  if (!conflist.is_object()) throw Error(kInvalidConfig, "the network configuration is no object");
  nlohmann::json out = conflist;
  if (!conflist.contains("plugins")) {
    if (!conflist.contains("type"))
      throw Error(kInvalidConfig, "the network configuration has neither plugins nor a type");
    if (conflist["type"] == "netvrf") return std::nullopt;
    nlohmann::json plugin = conflist;
    out = nlohmann::json::object();
    for (const char* key : {"cniVersion", "name"})
      if (plugin.contains(key)) {
        out[key] = plugin[key];
        plugin.erase(key);
      }
    out["plugins"] = nlohmann::json::array({plugin});
  }
  nlohmann::json& plugins = out["plugins"];
  if (!plugins.is_array() || plugins.empty())
    throw Error(kInvalidConfig, "the network configuration's plugins are no list of plugins");
  if (std::any_of(plugins.begin(), plugins.end(), [](const nlohmann::json& p) {
        return p.is_object() && p.value("type", "") == "netvrf";
      }))
    return std::nullopt;
  plugins.push_back(netvrfEntry());
  return out;
}

std::optional<std::string> networkFileIn(const std::string& dir) {
  std::vector<std::string> names;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(dir, ec)) {
    std::string ext = e.path().extension();
    if (e.is_regular_file() && (ext == ".conflist" || ext == ".conf" || ext == ".json"))
      names.push_back(e.path().filename());
  }
  if (ec) throw Error(kIoFailure, "cannot read " + dir + ": " + ec.message());
  if (names.empty()) return std::nullopt;
  std::sort(names.begin(), names.end());
  return dir + "/" + names.front();
}

std::string installInto(const std::string& dir) {
  auto file = networkFileIn(dir);
  if (!file) throw Error(kIoFailure, "no network configuration in " + dir + " yet");
  std::ifstream in(*file);
  nlohmann::json conf = nlohmann::json::parse(in, nullptr, false);
  if (conf.is_discarded()) throw Error(kDecodeFailure, *file + " is not JSON");
  std::optional<nlohmann::json> changed;
  try {
    changed = withNetvrf(conf);
  } catch (const Error& e) {
    throw Error(e.code(), *file + ": " + e.what());
  }
  if (!changed) return *file + " has netvrf already";
  std::string target = *file;
  bool single = !conf.contains("plugins");
  if (single) target = (fs::path(*file).replace_extension(".conflist")).string();
  try {
    writeFileAtomically(target, changed->dump(2) + "\n", 0644);
    if (single) fs::rename(*file, *file + ".netvrf-orig");
  } catch (const std::exception& e) {
    throw Error(kIoFailure, e.what());
  }
  return single ? "made " + target + " of " + *file + " and netvrf (the old file kept as " + *file +
                      ".netvrf-orig)"
                : "added netvrf to " + target;
}

}  // namespace netvrf::cni
