#include "figures.hpp"

#include <cstdlib>
#include <fstream>
#include <iomanip>
#include <nlohmann/json.hpp>
#include <sstream>

namespace netvrf::test {

bool Figures::clean() const {
  return lost == 0 && stale == 0 && wrong == 0 && foreign == 0 && leakedFds == 0 &&
         leakedMounts == 0 && crashes == 0;
}

namespace {
std::vector<Figures>& rows() {
  static std::vector<Figures> r;
  return r;
}
}  // namespace

void record(const Figures& f) {
  rows().push_back(f);
  if (const char* path = std::getenv("NETVRF_RELIABILITY_REPORT"); path && *path) {
    nlohmann::json j = {{"scenario", f.scenario},         {"rounds", f.rounds},
                        {"containers", f.containers},     {"lost", f.lost},
                        {"stale", f.stale},               {"wrong_ns", f.wrong},
                        {"foreign_touched", f.foreign},   {"leaked_fds", f.leakedFds},
                        {"leaked_mounts", f.leakedMounts}, {"crashes", f.crashes},
                        {"note", f.note}};
    std::ofstream(path, std::ios::app) << j.dump() << "\n";
  }
}

const std::vector<Figures>& recorded() {
  return rows();
}

std::string table(const std::vector<Figures>& rows) {
  std::ostringstream out;
  size_t width = 8;
  for (const auto& f : rows) width = std::max(width, f.scenario.size());
  auto col = [&](const auto& v, int w) { out << std::setw(w) << v; };
  out << std::left << std::setw(int(width)) << "scenario" << std::right;
  col("rounds", 8);
  col("containers", 12);
  col("lost", 6);
  col("stale", 7);
  col("wrong ns", 10);
  col("foreign", 9);
  col("fds", 5);
  col("mounts", 8);
  col("crashes", 9);
  out << "\n";
  for (const auto& f : rows) {
    out << std::left << std::setw(int(width)) << f.scenario << std::right;
    col(f.rounds, 8);
    col(f.containers, 12);
    col(f.lost, 6);
    col(f.stale, 7);
    col(f.wrong, 10);
    col(f.foreign, 9);
    col(f.leakedFds, 5);
    col(f.leakedMounts, 8);
    col(f.crashes, 9);
    out << "\n";
  }
  for (const auto& f : rows)
    if (!f.note.empty()) out << f.scenario << ": " << f.note << "\n";
  return out.str();
}

}  // namespace netvrf::test
