// The Manager's second tries: a registration refused for a reason that may pass (the state
// directory full or read-only) keeps its pin and is tried again, later each time, until it works
// or the process exits.
#include <algorithm>

#include "manager.hpp"

namespace netvrf {

void Manager::scheduleRetry(const std::string& key, Container& c) {
  watchExit(key, c);  // gone meanwhile: forgotten, no more tries
  c.retryAfter = std::min(std::chrono::milliseconds(30000),
                          std::max(std::chrono::milliseconds(500), c.retryAfter * 2));
  c.retry = loop_.addTimer(c.retryAfter, [this, key] { retryRegistration(key); });
}

void Manager::retryRegistration(const std::string& key) {
  auto it = containers_.find(key);
  if (it == containers_.end()) return;
  Container& c = it->second;
  if (c.state != BindingState::Failed || !c.retryable || processExited(c.pin.pidfd.get())) return;
  PinnedNetns pin = std::move(c.pin);
  c.retryable = false;
  registerContainer(c, std::move(pin));
  if (c.state == BindingState::Registered) {
    c.lastFailure.clear();
    c.retryAfter = std::chrono::milliseconds(0);
    watchExit(key, c);
    reconcile(key, c);
  } else if (c.retryable) {
    scheduleRetry(key, c);  // replaces this timer's own source: nothing of it is used after
  }
}

}  // namespace netvrf
