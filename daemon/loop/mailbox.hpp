#pragma once

#include <sys/eventfd.h>
#include <unistd.h>

#include <deque>
#include <functional>
#include <mutex>

#include "common/error.hpp"
#include "common/fd.hpp"
#include "loop/event_loop.hpp"

namespace netvrf {

// Hands items from worker threads to the event loop: post() never blocks on the loop, and the
// loop's handler sees the items in the order they were posted.
template <typename T>
class Mailbox {
 public:
  Mailbox(EventLoop& loop, std::function<void(T)> handler)
      : handler_(std::move(handler)), wake_(eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)) {
    if (!wake_) throwErrno("eventfd");
    source_ = loop.addIo(wake_.get(), EPOLLIN, [this](uint32_t) { drain(); });
  }

  void post(T item) {
    {
      std::lock_guard lock(mutex_);
      items_.push_back(std::move(item));
    }
    uint64_t one = 1;
    [[maybe_unused]] auto n = ::write(wake_.get(), &one, sizeof one);
  }

 private:
  void drain() {
    uint64_t count;
    [[maybe_unused]] auto n = ::read(wake_.get(), &count, sizeof count);
    std::deque<T> batch;
    {
      std::lock_guard lock(mutex_);
      batch.swap(items_);
    }
    for (auto& item : batch) handler_(std::move(item));
  }

  std::function<void(T)> handler_;
  Fd wake_;
  EventLoop::Source source_;
  std::mutex mutex_;
  std::deque<T> items_;
};

}  // namespace netvrf
