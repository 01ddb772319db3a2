// libFuzzer target: what the Docker Engine API (and Podman's) sends netvrfd, fed to every parser
// of runtime/docker/docker_json.hpp, since any of those bodies can come back from the socket.
// Expected outcomes: parseEvent and errorMessage return (they never throw); parseInspect,
// parseNetwork, parseNetworkList and parseContainerList return or throw std::runtime_error (a
// document they cannot use). Any other exception, a crash or a sanitizer report is a finding.
#include <cstddef>
#include <cstdint>
#include <stdexcept>
#include <string_view>

#include "runtime/docker/docker_json.hpp"

namespace {

template <typename F>
void mayReject(F parse) {
  try {
    parse();
  } catch (const std::runtime_error&) {
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace netvrf::docker;
  std::string_view body(reinterpret_cast<const char*>(data), size);
  if (auto e = parseEvent(body); e && (e->action.empty() || e->id.empty()))
    __builtin_trap();  // parseEvent promises both
  (void)errorMessage(body);
  mayReject([&] { (void)parseInspect(body).sharedWith(); });
  mayReject([&] { (void)parseNetwork(body); });
  mayReject([&] { (void)parseNetworkList(body); });
  mayReject([&] { (void)parseContainerList(body); });
  return 0;
}
