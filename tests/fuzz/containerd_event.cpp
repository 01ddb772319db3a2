// libFuzzer target: the bytes of one containerd Envelope as Events/Subscribe streams it, decoded
// as the watcher does (runtime/containerd/event_decode.hpp): the Envelope by protobuf, as gRPC
// would, then its payload by decodeTaskEvent. Expected outcomes: an Envelope that does not
// parse is dropped (gRPC would fail the stream); decodeTaskEvent returns or throws
// std::runtime_error (a payload that is not the topic's message). Anything else is a finding.
#include <cstddef>
#include <cstdint>
#include <stdexcept>

#include "events.pb.h"
#include "runtime/containerd/event_decode.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  ::containerd::services::events::v1::Envelope envelope;
  if (!envelope.ParseFromArray(data, int(size))) return 0;
  try {
    (void)netvrf::ctrd::decodeTaskEvent(envelope.topic(), envelope.event().value());
  } catch (const std::runtime_error&) {
  }
  return 0;
}
