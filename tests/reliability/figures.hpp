#pragma once

#include <string>
#include <vector>

// What each reliability scenario measured, for the table tests/reliability/report prints.
namespace netvrf::test {

struct Figures {
  std::string scenario;
  int rounds = 0;
  int containers = 0;    // containers started in all
  int lost = 0;          // running containers without their entry once things settled
  int stale = 0;         // entries or ownership records left for containers that stopped
  int wrong = 0;         // entries holding a namespace that is not their container's
  int foreign = 0;       // entries netvrfd did not make that it removed or replaced
  int leakedFds = 0;     // netvrfd's descriptors beyond its count before (namespaces pinned...)
  int leakedMounts = 0;  // mounts under the netns directory left after the containers went
  int crashes = 0;       // netvrfd exits other than the test's own kill, sanitizer reports
  std::string note;      // anything else worth a line (RSS, objects, PIDs reused)

  bool clean() const;
};

// Keeps `f` for the table printed at the end of the run, and appends it as one JSON line to
// $NETVRF_RELIABILITY_REPORT when that is set.
void record(const Figures& f);
const std::vector<Figures>& recorded();
// The table: one row per scenario, failure columns that must all be 0.
std::string table(const std::vector<Figures>& rows);

}  // namespace netvrf::test
