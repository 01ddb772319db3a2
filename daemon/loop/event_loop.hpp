#pragma once

#include <systemd/sd-event.h>

#include <chrono>
#include <cstdint>
#include <functional>
#include <utility>

namespace netvrf {

// The daemon's one event loop (sd-event): signals, the watchdog, pidfds and the mailboxes that
// worker threads post to. Everything that changes state runs here, on one thread.
class EventLoop {
 public:
  // A registered callback; unregisters itself when destroyed. Move-only.
  class Source {
   public:
    Source() = default;
    explicit Source(sd_event_source* s) : s_(s) {}
    ~Source() { reset(); }
    Source(Source&& o) noexcept : s_(std::exchange(o.s_, nullptr)) {}
    Source& operator=(Source&& o) noexcept {
      if (this != &o) {
        reset();
        s_ = std::exchange(o.s_, nullptr);
      }
      return *this;
    }
    void reset() { s_ = sd_event_source_disable_unref(s_); }
    // For an I/O source: which events to wait for from now on.
    void setIoEvents(uint32_t events) {
      if (s_) sd_event_source_set_io_events(s_, events);
    }

   private:
    sd_event_source* s_ = nullptr;
  };

  EventLoop();
  ~EventLoop();
  EventLoop(const EventLoop&) = delete;
  EventLoop& operator=(const EventLoop&) = delete;

  // `events` as for epoll (EPOLLIN...). The callback gets the events that fired.
  Source addIo(int fd, uint32_t events, std::function<void(uint32_t)> callback);
  // The signal must be blocked in every thread first (see blockSignals()).
  Source addSignal(int signal, std::function<void()> callback);
  // Calls `callback` once, `after` from now (CLOCK_MONOTONIC).
  Source addTimer(std::chrono::milliseconds after, std::function<void()> callback);

  // Sends WATCHDOG=1 at half the interval the service manager asked for, if it asked.
  void enableWatchdog();
  int run();
  void exit(int code);

  static void blockSignals(std::initializer_list<int> signals);

 private:
  template <typename F, typename Add>
  Source attach(F callback, const char* what, Add add);

  sd_event* event_ = nullptr;
};

}  // namespace netvrf
