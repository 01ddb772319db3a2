#include <algorithm>
#include <iostream>

#include "client.hpp"

namespace netvrfctl {

void Client::onContainerChanged(const std::string& key, const std::string& name,
                                const std::string& state, const std::string& vrf) {
  if (json)
    std::cout << nlohmann::json{{"key", key}, {"name", name}, {"state", state}, {"vrf", vrf}}
              << std::endl;
  else
    std::cout << name << " " << state << (vrf.empty() ? "" : " vrf " + vrf) << std::endl;
}

void printTable(const std::vector<std::vector<std::string>>& rows) {
  std::vector<size_t> width;
  for (const auto& r : rows)
    for (size_t i = 0; i < r.size(); ++i) {
      if (width.size() <= i) width.push_back(0);
      width[i] = std::max(width[i], r[i].size());
    }
  for (const auto& r : rows) {
    std::string line;
    for (size_t i = 0; i < r.size(); ++i)
      line += r[i] + (i + 1 < r.size() ? std::string(width[i] - r[i].size() + 2, ' ') : "");
    std::cout << line << "\n";
  }
}

std::string orDash(const std::string& s) {
  return s.empty() ? "-" : s;
}

std::string joined(const std::vector<std::string>& items) {
  std::string out;
  for (const auto& i : items) out += (out.empty() ? "" : ", ") + i;
  return out;
}

}  // namespace netvrfctl
