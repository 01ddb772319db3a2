#pragma once

#include <exception>
#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "netlink/vrf.hpp"

namespace netvrf {

// Told the name of each step before it runs: progress for the log, and the seam through which
// a test makes a step fail (by throwing) to check the rollback.
using StepHook = std::function<void(const std::string& step)>;

// Runs the steps of one operation and remembers how to undo each one that succeeded, so that a
// failure half-way leaves the kernel as it was (all or nothing).
class Steps {
 public:
  explicit Steps(StepHook hook) : hook_(std::move(hook)) {}

  template <typename Do>
  void run(std::string name, Do&& action, std::function<void()> undo = {}) {
    current_ = std::move(name);
    if (hook_) hook_(current_);
    action();
    if (undo) undo_.emplace_back(current_, std::move(undo));
  }

  // Undoes the steps that succeeded, newest first. A failing undo is logged and the rest still
  // run.
  void rollback() noexcept;

  const std::string& current() const { return current_; }

 private:
  StepHook hook_;
  std::string current_;
  std::vector<std::pair<std::string, std::function<void()>>> undo_;
};

// "move eth0 into VRF red failed: enslave eth0 to red: Operation not supported; rolled back":
// the step that failed and why, after rollback() has run.
std::string failureMessage(const Steps& steps, const std::exception& cause);
// What a failed step amounts to: a missing kernel feature or a taken table stays what it is;
// anything else is a failure half-way (rolled back).
VrfError::Kind failureKind(const std::exception& cause);

}  // namespace netvrf
