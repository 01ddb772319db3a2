#pragma once

#include <curl/curl.h>

#include <atomic>
#include <chrono>
#include <functional>
#include <string>
#include <thread>

#include "runtime/docker/docker_json.hpp"

namespace netvrf::docker {

// Follows GET /events on its own thread and never does anything slow there: Docker drops the
// events of a subscriber that does not read within 100 ms. Reconnects with backoff when the
// daemon is absent or restarts, replaying from the last event seen (since=).
class EventStream {
 public:
  // What `disconnected` says when the socket is not there (the engine is not started).
  static constexpr const char* kNoSocket = "no such socket";

  struct Callbacks {
    std::function<void()> connected;                       // the stream is established
    std::function<void(const std::string&)> disconnected;  // why it ended or failed
    std::function<void(Event)> event;
  };

  EventStream(std::string socket, std::string filters, Callbacks callbacks);
  ~EventStream();
  EventStream(const EventStream&) = delete;
  EventStream& operator=(const EventStream&) = delete;

  void start(const std::string& threadName = "nv-events");
  void stop();  // wakes the thread at once and joins it

  static constexpr std::chrono::milliseconds kMinBackoff{100};
  static constexpr std::chrono::milliseconds kMaxBackoff{2000};
  // How long one wait may last when only data, curl's own timers, the socket appearing or
  // stop() can end it (each wakes it at once): no timer of ours wakes an idle stream.
  static constexpr int kLongWaitMs = 3'600'000;
  // How long a connected engine has to answer the subscription.
  static constexpr std::chrono::seconds kAnswerTimeout{10};

 private:
  void run();
  // Streams until the connection ends; returns why.
  std::string streamOnce();
  void onData(const char* data, size_t size);
  void sleepInterruptibly(std::chrono::milliseconds d);
  void waitForSocket();  // until the socket exists, or stop()

  std::string socket_;
  std::string filters_;
  Callbacks cb_;
  CURLM* multi_;
  std::atomic<bool> stopping_{false};
  std::thread thread_;
  std::string partial_;     // an event line not yet complete
  int64_t since_ = 0;       // replay point: last event's timeNano, or when we last connected
  bool announced_ = false;  // `connected` called for the current connection
};

}  // namespace netvrf::docker
