#pragma once

#include <atomic>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "harness.hpp"

namespace netvrf::test {

// Starts `total` containers named <prefix>c<N> from `workers` threads, each keeping at most
// `keep` of its own running and removing the oldest beyond that, so containers start and stop
// all the time. A start that fails (the runtime restarting) is retried. The ones still running
// at the end stay until removeAll().
class Burst {
 public:
  struct Options {
    int total = 30;
    int workers = 3;
    int keep = 3;
    std::vector<std::string> runArgs{"--network", "none"};
    // The command for container N (empty: the image's); e.g. short-lived ones.
    std::function<std::vector<std::string>(int)> command;
  };
  Burst(std::string prefix, Options options);
  ~Burst();

  void start();
  void join();
  int started() const { return started_; }
  int failed() const { return failed_; }  // never started, 50 attempts each
  static std::string nameOf(const std::string& prefix, int n) {
    return prefix + "c" + std::to_string(n);
  }
  void removeAll();

 private:
  void work(int worker);

  std::string prefix_;
  Options options_;
  std::vector<std::unique_ptr<Docker>> dockers_;
  std::vector<std::thread> threads_;
  std::atomic<int> next_{0};
  std::atomic<int> started_{0};
  std::atomic<int> failed_{0};
};

}  // namespace netvrf::test
