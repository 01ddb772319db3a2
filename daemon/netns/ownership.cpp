#include "netns/ownership.hpp"

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "common/atomic_file.hpp"
#include "common/error.hpp"

namespace netvrf {
namespace {

constexpr const char* kSuffix = ".json";

nlohmann::json toJson(const OwnershipRecord& r) {
  return {{"entry", r.entry},
          {"runtime", r.runtime},
          {"container_id", r.containerId},
          {"container_name", r.containerName},
          {"pid", r.pid},
          {"start_time", r.startTime},
          {"ns_dev", uint64_t(r.ns.dev)},
          {"ns_ino", uint64_t(r.ns.ino)}};
}

OwnershipRecord fromJson(const nlohmann::json& j) {
  OwnershipRecord r;
  r.entry = j.at("entry").get<std::string>();
  r.runtime = j.at("runtime").get<std::string>();
  r.containerId = j.at("container_id").get<std::string>();
  r.containerName = j.at("container_name").get<std::string>();
  r.pid = j.at("pid").get<pid_t>();
  r.startTime = j.at("start_time").get<uint64_t>();
  r.ns.dev = dev_t(j.at("ns_dev").get<uint64_t>());
  r.ns.ino = ino_t(j.at("ns_ino").get<uint64_t>());
  return r;
}

}  // namespace

OwnershipStore::OwnershipStore(std::string stateDir) : dir_(std::move(stateDir) + "/netns") {}

std::string OwnershipStore::fileOf(const std::string& entry) const {
  return dir_ + "/" + entry + kSuffix;
}

void OwnershipStore::prepare() {
  std::error_code ec;
  std::filesystem::create_directories(dir_, ec);
  if (ec) throwErrno(ec.value(), "create " + dir_);
}

void OwnershipStore::save(const OwnershipRecord& record) {
  // A record matters only while its mount exists, and no mount outlives the kernel: an fsync
  // here protected nothing and cost a journal commit per registration (tens of ms on a disk
  // that dockerd is busy writing image layers to).
  writeFileAtomically(fileOf(record.entry), toJson(record).dump() + "\n", 0600,
                      Durability::kThisBoot);
}

void OwnershipStore::remove(const std::string& entry) {
  std::string file = fileOf(entry);
  if (unlink(file.c_str()) < 0 && errno != ENOENT) throwErrno("remove " + file);
}

std::optional<OwnershipRecord> OwnershipStore::find(const std::string& entry) const {
  std::ifstream in(fileOf(entry));
  if (!in) return std::nullopt;
  try {
    return fromJson(nlohmann::json::parse(in));
  } catch (const nlohmann::json::exception&) {
    return std::nullopt;
  }
}

std::vector<OwnershipRecord> OwnershipStore::loadAll(std::vector<std::string>* errors) const {
  std::vector<OwnershipRecord> out;
  std::error_code ec;
  for (const auto& f : std::filesystem::directory_iterator(dir_, ec)) {
    auto name = f.path().filename().string();
    if (!name.ends_with(kSuffix)) continue;
    std::ifstream in(f.path());
    try {
      out.push_back(fromJson(nlohmann::json::parse(in)));
    } catch (const nlohmann::json::exception& e) {
      if (errors) errors->push_back(f.path().string() + ": " + e.what());
    }
  }
  return out;
}

}  // namespace netvrf
