#include "burst.hpp"

#include <deque>

namespace netvrf::test {

Burst::Burst(std::string prefix, Options options)
    : prefix_(std::move(prefix)), options_(std::move(options)) {
  for (int i = 0; i < options_.workers; ++i) dockers_.push_back(std::make_unique<Docker>());
}

Burst::~Burst() {
  join();
}

void Burst::start() {
  for (int i = 0; i < options_.workers; ++i) threads_.emplace_back([this, i] { work(i); });
}

void Burst::join() {
  for (auto& t : threads_)
    if (t.joinable()) t.join();
}

void Burst::work(int worker) {
  Docker& docker = *dockers_[worker];
  std::deque<std::string> mine;
  for (int n = next_++; n < options_.total; n = next_++) {
    std::string name = nameOf(prefix_, n);
    std::vector<std::string> cmd = options_.command ? options_.command(n) : std::vector<std::string>{};
    for (int attempt = 0;; ++attempt) {
      try {
        docker.runDetached(name, options_.runArgs, cmd);
        break;
      } catch (const std::exception&) {
        docker.cli({"rm", "-f", name});  // half-made by a runtime going away
        if (attempt == 50) break;
        std::this_thread::sleep_for(std::chrono::milliseconds(200));
      }
    }
    if (docker.pid(name) <= 0 && docker.inspect(name, "{{.Id}}").empty()) {
      ++failed_;
      continue;
    }
    ++started_;
    mine.push_back(name);
    if (int(mine.size()) > options_.keep) {
      docker.cli({"rm", "-f", mine.front()});
      mine.pop_front();
    }
  }
}

void Burst::removeAll() {
  join();
  dockers_.clear();  // each removes every container it started
}

}  // namespace netvrf::test
