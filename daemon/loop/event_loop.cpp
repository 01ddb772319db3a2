#include "loop/event_loop.hpp"

#include <signal.h>

#include "common/error.hpp"

namespace netvrf {
namespace {

template <typename F>
void deleteCallback(void* userdata) {
  delete static_cast<F*>(userdata);
}

void check(int r, const char* what) {
  if (r < 0) throwErrno(-r, what);
}

}  // namespace

EventLoop::EventLoop() {
  check(sd_event_new(&event_), "sd_event_new");
}

EventLoop::~EventLoop() {
  sd_event_unref(event_);
}

// Registers a source whose callback `F` is owned by the source: sd-event frees it when the
// source goes. `add` is the sd_event_add_* call, given the out-pointer and the userdata.
template <typename F, typename Add>
EventLoop::Source EventLoop::attach(F callback, const char* what, Add add) {
  auto* owned = new F(std::move(callback));
  sd_event_source* s = nullptr;
  if (int r = add(&s, owned); r < 0) {
    delete owned;
    throwErrno(-r, what);
  }
  sd_event_source_set_destroy_callback(s, deleteCallback<F>);
  return Source(s);
}

EventLoop::Source EventLoop::addIo(int fd, uint32_t events, std::function<void(uint32_t)> cb) {
  using F = std::function<void(uint32_t)>;
  return attach(std::move(cb), "sd_event_add_io", [&](sd_event_source** s, F* f) {
    return sd_event_add_io(
        event_, s, fd, events,
        [](sd_event_source*, int, uint32_t revents, void* u) {
          (*static_cast<F*>(u))(revents);
          return 0;
        },
        f);
  });
}

EventLoop::Source EventLoop::addSignal(int signal, std::function<void()> cb) {
  using F = std::function<void()>;
  return attach(std::move(cb), "sd_event_add_signal", [&](sd_event_source** s, F* f) {
    return sd_event_add_signal(
        event_, s, signal,
        [](sd_event_source*, const signalfd_siginfo*, void* u) {
          (*static_cast<F*>(u))();
          return 0;
        },
        f);
  });
}

EventLoop::Source EventLoop::addTimer(std::chrono::milliseconds after, std::function<void()> cb) {
  using F = std::function<void()>;
  return attach(std::move(cb), "sd_event_add_time_relative", [&](sd_event_source** s, F* f) {
    return sd_event_add_time_relative(
        event_, s, CLOCK_MONOTONIC, uint64_t(after.count()) * 1000, 0,
        [](sd_event_source*, uint64_t, void* u) {
          (*static_cast<F*>(u))();
          return 0;
        },
        f);
  });
}

void EventLoop::enableWatchdog() {
  check(sd_event_set_watchdog(event_, 1), "sd_event_set_watchdog");
}

int EventLoop::run() {
  int r = sd_event_loop(event_);
  check(r < 0 ? r : 0, "sd_event_loop");
  return r;
}

void EventLoop::exit(int code) {
  sd_event_exit(event_, code);
}

void EventLoop::blockSignals(std::initializer_list<int> signals) {
  sigset_t set;
  sigemptyset(&set);
  for (int s : signals) sigaddset(&set, s);
  if (int r = pthread_sigmask(SIG_BLOCK, &set, nullptr); r != 0) throwErrno(r, "pthread_sigmask");
}

}  // namespace netvrf
