#include "runtime/docker/api_client.hpp"

namespace netvrf::docker {
namespace {

size_t append(char* data, size_t size, size_t n, void* out) {
  static_cast<std::string*>(out)->append(data, size * n);
  return size * n;
}

}  // namespace

ApiClient::ApiClient(std::string socket) : socket_(std::move(socket)), curl_(curl_easy_init()) {
  if (!curl_) throw std::runtime_error("curl_easy_init failed");
}

ApiClient::~ApiClient() {
  curl_easy_cleanup(curl_);
}

ApiClient::Response ApiClient::get(const std::string& path, const char* version) {
  Response r;
  std::string url = std::string("http://localhost/") + version + path;
  curl_easy_reset(curl_);  // keeps the connection cache, so calls reuse one connection
  curl_easy_setopt(curl_, CURLOPT_UNIX_SOCKET_PATH, socket_.c_str());
  curl_easy_setopt(curl_, CURLOPT_URL, url.c_str());
  curl_easy_setopt(curl_, CURLOPT_WRITEFUNCTION, append);
  curl_easy_setopt(curl_, CURLOPT_WRITEDATA, &r.body);
  curl_easy_setopt(curl_, CURLOPT_CONNECTTIMEOUT_MS, 2000L);
  curl_easy_setopt(curl_, CURLOPT_TIMEOUT_MS, 15000L);
  curl_easy_setopt(curl_, CURLOPT_NOSIGNAL, 1L);
  if (CURLcode rc = curl_easy_perform(curl_); rc != CURLE_OK)
    throw Unavailable("GET " + path + " on " + socket_ + ": " + curl_easy_strerror(rc));
  curl_easy_getinfo(curl_, CURLINFO_RESPONSE_CODE, &r.status);
  return r;
}

}  // namespace netvrf::docker
