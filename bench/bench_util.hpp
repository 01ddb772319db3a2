#pragma once

// Small helpers the VM benchmarks share: timing, progress, files, docker, a thread pool.
#include <atomic>
#include <chrono>
#include <cstdarg>
#include <cstdio>
#include <fstream>
#include <functional>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "harness.hpp"

namespace netvrf::bench {

using Clock = std::chrono::steady_clock;

inline double msSince(Clock::time_point t0) {
  return std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
}

// Progress, on stderr.
__attribute__((format(printf, 1, 2))) inline void say(const char* fmt, ...) {
  va_list args;
  va_start(args, fmt);
  std::vfprintf(stderr, fmt, args);
  va_end(args);
  std::fflush(stderr);
}

inline std::string readFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

inline std::string trim(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
  return s;
}

// Runs work(i) for i in [0, n) on `threads` threads.
inline void parallelFor(int n, int threads, const std::function<void(int)>& work) {
  std::atomic<int> next{0};
  std::vector<std::thread> pool;
  for (int t = 0; t < threads; ++t)
    pool.emplace_back([&] {
      for (int i; (i = next++) < n;) work(i);
    });
  for (auto& t : pool) t.join();
}

// The docker CLI against the test dockerd.
inline test::Result docker(std::vector<std::string> args) {
  args.insert(args.begin(), {"/usr/bin/docker", "-H", "unix://" + test::dockerSock()});
  return test::run(args);
}

inline std::string cpuModel() {
  std::istringstream in(readFile("/proc/cpuinfo"));
  for (std::string line; std::getline(in, line);)
    if (line.starts_with("model name")) return trim(line.substr(line.find(':') + 2));
  return "?";
}

}  // namespace netvrf::bench
