// libFuzzer target: netvrfctl's command line (client/arguments.hpp). The input is split on NUL
// bytes into the arguments after the program name, then parsed as main() does: its options,
// then the verb's request. Expected outcomes: a request, or netvrfctl::UsageError. Any other
// exception, a crash, a sanitizer report or a request that breaks its own rules is a finding.
#include <cstddef>
#include <cstdint>
#include <string>
#include <variant>

#include "arguments.hpp"

namespace {

using namespace netvrfctl;

void check(bool ok) {
  if (!ok) __builtin_trap();
}

// What the parse functions promise about the requests they return.
struct Check {
  void operator()(const AttachRequest& r) {
    check(!r.container.empty() && !r.container.starts_with("--") && !r.vrf.empty());
    if (r.host)
      check(!r.addresses.empty() && r.interfaces.empty() && !r.strict);
    else
      check(r.addresses.empty() && r.gateways.empty());
  }
  void operator()(const DetachRequest& r) { check(!r.container.empty()); }
  void operator()(const NetnsRequest& r) {
    check(r.action != NetnsRequest::Action::Add || r.pid != 0);
  }
  void operator()(const NetworkRequest& r) {
    if (r.action == NetworkRequest::Action::Attach) check(!r.network.empty() && !r.vrf.empty());
  }
  void operator()(const auto&) {}
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  Args argv;
  std::string word;
  for (size_t i = 0; i < size; ++i) {
    if (data[i] == 0) {
      argv.push_back(std::move(word));
      word.clear();
    } else {
      word.push_back(char(data[i]));
    }
  }
  if (size > 0) argv.push_back(std::move(word));  // the text after the last NUL

  CommandLine cl = parseCommandLine(argv);
  if (cl.help || !cl.verb) return 0;  // main() prints a usage text
  try {
    std::visit(Check{}, parseRequest(*cl.verb, cl.args));
  } catch (const UsageError&) {
  }
  return 0;
}
