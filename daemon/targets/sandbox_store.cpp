#include "targets/sandbox_store.hpp"

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "common/atomic_file.hpp"
#include "common/error.hpp"
#include "common/printable.hpp"

namespace netvrf {
namespace {

constexpr const char* kSuffix = ".json";

nlohmann::json toJson(const SandboxRecord& r) {
  return {{"id", r.id},
          {"name", r.name},
          {"path", r.path},
          {"ns_dev", uint64_t(r.ns.dev)},
          {"ns_ino", uint64_t(r.ns.ino)},
          {"request", jsonOf(r.request)}};
}

SandboxRecord fromJson(const nlohmann::json& j) {
  SandboxRecord r;
  r.id = j.at("id").get<std::string>();
  r.name = j.at("name").get<std::string>();
  r.path = j.at("path").get<std::string>();
  r.ns.dev = dev_t(j.at("ns_dev").get<uint64_t>());
  r.ns.ino = ino_t(j.at("ns_ino").get<uint64_t>());
  r.request = storedRequestOf(j.at("request"));
  if (r.request.detached) throw std::runtime_error("its request is a detach");
  return r;
}

}  // namespace

SandboxStore::SandboxStore(std::string stateDir) : dir_(std::move(stateDir) + "/sandboxes") {}

std::string SandboxStore::fileOf(const std::string& id) const {
  return dir_ + "/" + id + kSuffix;
}

void SandboxStore::save(const SandboxRecord& record) {
  std::error_code ec;
  std::filesystem::create_directories(dir_, ec);
  if (ec) throwErrno(ec.value(), "create " + dir_);
  // Like the entries' records, it matters only while the namespace exists: this boot.
  writeFileAtomically(fileOf(record.id), toJson(record).dump() + "\n", 0600, Durability::kThisBoot);
}

void SandboxStore::remove(const std::string& id) {
  std::string file = fileOf(id);
  if (unlink(file.c_str()) < 0 && errno != ENOENT) throwErrno("remove " + file);
}

std::vector<SandboxRecord> SandboxStore::loadAll(std::vector<std::string>& errors) {
  std::vector<SandboxRecord> out;
  std::error_code ec;
  for (const auto& e : std::filesystem::directory_iterator(dir_, ec)) {
    std::string file = e.path().string();
    if (e.path().extension() != kSuffix) continue;
    try {
      std::ifstream in(file);
      SandboxRecord r = fromJson(nlohmann::json::parse(in));
      if (fileOf(r.id) != file) throw std::runtime_error("its id is not its file's name");
      out.push_back(std::move(r));
    } catch (const std::exception& ex) {
      errors.push_back(printableName(file) + ": " + ex.what() + "; removed");
      unlink(file.c_str());
    }
  }
  return out;
}

}  // namespace netvrf
