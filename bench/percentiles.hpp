#pragma once

// The figures every benchmark prints: median, 99th percentile, worst and mean of a sample.
#include <algorithm>
#include <numeric>
#include <vector>

namespace netvrf::bench {

struct Percentiles {
  double p50 = 0, p99 = 0, max = 0, mean = 0;
};

inline Percentiles percentiles(std::vector<double> ms) {
  Percentiles f;
  if (ms.empty()) return f;
  std::sort(ms.begin(), ms.end());
  f.p50 = ms[ms.size() / 2];
  f.p99 = ms[std::min(ms.size() - 1, size_t(double(ms.size()) * 0.99))];
  f.max = ms.back();
  f.mean = std::accumulate(ms.begin(), ms.end(), 0.0) / double(ms.size());
  return f;
}

}  // namespace netvrf::bench
