// The registry's second tries: a registration refused for a reason that may pass (the state
// directory full or read-only) keeps its pin and is tried again, later each time, until it works
// or the process exits.
#include <algorithm>

#include "registry/netns_registry.hpp"

namespace netvrf {

void NetnsRegistry::scheduleRetry(const std::string& key, Binding& b) {
  watchExit(key, b);  // gone meanwhile: forgotten, no more tries
  b.retryAfter = std::min(std::chrono::milliseconds(30000),
                          std::max(std::chrono::milliseconds(500), b.retryAfter * 2));
  b.retry = loop_.addTimer(b.retryAfter, [this, key] { retryRegistration(key); });
}

void NetnsRegistry::retryRegistration(const std::string& key) {
  auto it = bindings_.find(key);
  if (it == bindings_.end()) return;
  Binding& b = it->second;
  if (b.state != BindingState::Failed || !b.retryable || processExited(b.pin.pidfd.get())) return;
  PinnedNetns pin = std::move(b.pin);
  b.retryable = false;
  registerBinding(b, std::move(pin));
  if (b.state == BindingState::Registered) {
    b.lastFailure.clear();
    b.retryAfter = std::chrono::milliseconds(0);
    watchExit(key, b);
    if (events_.registered) events_.registered(key);
  } else if (b.retryable) {
    scheduleRetry(key, b);  // replaces this timer's own source: nothing of it is used after
  }
}

}  // namespace netvrf
