// libFuzzer target: the text of netvrfd's configuration file, parsed by netvrf::parseConfig
// (daemon/config.hpp). Expected outcomes: a Config, or netvrf::ConfigError for a file that
// cannot be used. Any other exception, a crash or a sanitizer report is a finding.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "config.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  try {
    netvrf::Config c = netvrf::parseConfig(text, "/etc/netvrf/netvrfd.json");
    if (c.vrf.tableFirst > c.vrf.tableLast) __builtin_trap();  // parseConfig refuses that
  } catch (const netvrf::ConfigError&) {
  }
  return 0;
}
