#include "runtime/docker/event_stream.hpp"

#include <unistd.h>

#include <stdexcept>

#include "common/path_watch.hpp"
#include "common/thread_name.hpp"
#include "runtime/docker/api_client.hpp"

namespace netvrf::docker {
namespace {

int64_t nowNano() {
  using namespace std::chrono;
  return duration_cast<nanoseconds>(system_clock::now().time_since_epoch()).count();
}

}  // namespace

EventStream::EventStream(std::string socket, std::string filters, Callbacks callbacks)
    : socket_(std::move(socket)),
      filters_(std::move(filters)),
      cb_(std::move(callbacks)),
      multi_(curl_multi_init()) {
  if (!multi_) throw std::runtime_error("curl_multi_init failed");
}

EventStream::~EventStream() {
  stop();
  curl_multi_cleanup(multi_);
}

void EventStream::start(const std::string& threadName) {
  thread_ = std::thread([this, threadName] {
    nameThisThread(threadName);
    run();
  });
}

void EventStream::stop() {
  stopping_ = true;
  curl_multi_wakeup(multi_);
  if (thread_.joinable()) thread_.join();
}

void EventStream::run() {
  auto backoff = kMinBackoff;
  while (!stopping_) {
    std::string why = streamOnce();
    if (stopping_) break;
    if (announced_) backoff = kMinBackoff;  // it had worked: retry soon
    announced_ = false;
    cb_.disconnected(why);
    if (access(socket_.c_str(), F_OK) != 0) {
      waitForSocket();
      backoff = kMinBackoff;
      continue;
    }
    sleepInterruptibly(backoff);
    backoff = std::min(backoff * 2, kMaxBackoff);
  }
}

// An engine that is not there (not installed, not started) is waited for without a timer: the
// socket's appearing wakes the thread, and nothing else does.
void EventStream::waitForSocket() {
  try {
    PathWatch watch(socket_);
    curl_waitfd wait{watch.fd(), CURL_WAIT_POLLIN, 0};
    while (!stopping_ && !watch.exists()) curl_multi_poll(multi_, &wait, 1, kLongWaitMs, nullptr);
  } catch (const std::system_error&) {
    sleepInterruptibly(kMaxBackoff);  // no inotify here: as if the socket refused
  }
}

void EventStream::sleepInterruptibly(std::chrono::milliseconds d) {
  auto until = std::chrono::steady_clock::now() + d;
  while (!stopping_) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        until - std::chrono::steady_clock::now());
    if (left.count() <= 0) return;
    curl_multi_poll(multi_, nullptr, 0, int(left.count()), nullptr);
  }
}

void EventStream::onData(const char* data, size_t size) {
  partial_.append(data, size);
  size_t start = 0;
  for (size_t nl; (nl = partial_.find('\n', start)) != std::string::npos; start = nl + 1) {
    if (auto e = parseEvent(std::string_view(partial_).substr(start, nl - start))) {
      since_ = std::max(since_, e->timeNano);
      cb_.event(std::move(*e));
    }
  }
  partial_.erase(0, start);
}

std::string EventStream::streamOnce() {
  CURL* easy = curl_easy_init();
  if (!easy) return "curl_easy_init failed";
  char* filters = curl_easy_escape(easy, filters_.c_str(), int(filters_.size()));
  std::string url = std::string("http://localhost/") + kApiVersion + "/events?filters=" + filters;
  curl_free(filters);
  if (since_) url += "&since=" + sinceParam(since_);  // inclusive: the last event comes again
  partial_.clear();

  curl_easy_setopt(easy, CURLOPT_UNIX_SOCKET_PATH, socket_.c_str());
  curl_easy_setopt(easy, CURLOPT_URL, url.c_str());
  curl_easy_setopt(easy, CURLOPT_CONNECTTIMEOUT_MS, 2000L);
  curl_easy_setopt(easy, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(easy, CURLOPT_PRIVATE, this);
  curl_easy_setopt(easy, CURLOPT_WRITEDATA, this);
  curl_easy_setopt(
      easy, CURLOPT_WRITEFUNCTION, +[](char* d, size_t s, size_t n, void* self) {
        static_cast<EventStream*>(self)->onData(d, s * n);
        return s * n;
      });
  // Docker sends the headers as soon as it subscribed us: that moment, not the first event, is
  // when the stream is up and a re-list can no longer miss anything.
  curl_easy_setopt(easy, CURLOPT_HEADERDATA, easy);
  curl_easy_setopt(
      easy, CURLOPT_HEADERFUNCTION, +[](char* d, size_t s, size_t n, void* e) {
        std::string_view line(d, s * n);
        if (line == "\r\n" || line == "\n") {
          long code = 0;
          curl_easy_getinfo(static_cast<CURL*>(e), CURLINFO_RESPONSE_CODE, &code);
          EventStream* self = nullptr;
          curl_easy_getinfo(static_cast<CURL*>(e), CURLINFO_PRIVATE, &self);
          if (code == 200 && !self->announced_) {
            self->announced_ = true;
            if (!self->since_) self->since_ = nowNano();
            self->cb_.connected();
          }
        }
        return s * n;
      });

  curl_multi_add_handle(multi_, easy);
  std::string why;
  int running = 1;
  // An engine that takes the connection and never answers (one still starting, a socket unit
  // whose service hangs) must not hold up readiness or the retries: it gets kAnswerTimeout
  // to send its headers. Once they came, an idle stream may stay silent for ever.
  auto answerBy = std::chrono::steady_clock::now() + kAnswerTimeout;
  while (!stopping_ && running) {
    curl_multi_perform(multi_, &running);
    if (!running) break;
    int wait = kLongWaitMs;
    if (!announced_) {
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
          answerBy - std::chrono::steady_clock::now());
      if (left.count() <= 0) {
        why = "no answer within " + std::to_string(kAnswerTimeout.count()) + " s";
        break;
      }
      wait = int(std::min<int64_t>(wait, left.count() + 1));
    }
    curl_multi_poll(multi_, nullptr, 0, wait, nullptr);
  }
  if (!stopping_ && why.empty()) {
    int left = 0;
    CURLcode rc = CURLE_OK;
    while (CURLMsg* m = curl_multi_info_read(multi_, &left))
      if (m->msg == CURLMSG_DONE) rc = m->data.result;
    long code = 0;
    curl_easy_getinfo(easy, CURLINFO_RESPONSE_CODE, &code);
    if (rc == CURLE_COULDNT_CONNECT)
      why = access(socket_.c_str(), F_OK) == 0 ? "connection refused" : kNoSocket;
    else if (rc != CURLE_OK)
      why = curl_easy_strerror(rc);
    else if (code != 200)
      why = "HTTP " + std::to_string(code) + ": " + errorMessage(partial_);
    else
      why = "the event stream ended";
  }
  curl_multi_remove_handle(multi_, easy);
  curl_easy_cleanup(easy);
  return why;
}

}  // namespace netvrf::docker
