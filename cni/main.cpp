// netvrf, the CNI plugin: puts a pod's interfaces into a VRF inside its namespace, chained
// after the plugins that made them (see README, "Kubernetes and CNI"). The runtime runs it with
// CNI_* in the environment and the network configuration on stdin; the result or the error
// object goes to stdout, one line saying what went wrong to stderr.
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <iterator>
#include <string>

#include "conflist.hpp"
#include "plugin.hpp"
#include "spec.hpp"

int main(int argc, char** argv) {
  using namespace netvrf::cni;
  // Not CNI (runtimes pass no arguments): the DaemonSet's node set-up adds netvrf to the
  // network configuration the runtime loads.
  if (argc == 3 && std::string(argv[1]) == "install-conflist") {
    try {
      std::printf("netvrf: %s\n", installInto(argv[2]).c_str());
      return 0;
    } catch (const std::exception& e) {
      std::fprintf(stderr, "netvrf: %s\n", e.what());
      return 1;
    }
  }
  if (argc > 1) {
    std::fprintf(stderr,
                 "netvrf: a CNI plugin, run by container runtimes without arguments; or: netvrf "
                 "install-conflist DIR\n");
    return 2;
  }
  std::string input(std::istreambuf_iterator<char>(std::cin), {});
  std::string version;
  try {
    Request r = parseRequest(
        [](const std::string& name) -> std::optional<std::string> {
          const char* v = std::getenv(name.c_str());
          return v ? std::optional<std::string>(v) : std::nullopt;
        },
        input);
    version = r.version;
    if (auto out = run(r)) std::cout << out->dump() << "\n";
    return 0;
  } catch (const Error& e) {
    std::cout << errorJson(version, e).dump() << "\n";
    std::fprintf(stderr, "netvrf: %s\n", e.what());
  } catch (const std::exception& e) {
    Error wrapped(kAttachFailed, e.what());
    std::cout << errorJson(version, wrapped).dump() << "\n";
    std::fprintf(stderr, "netvrf: %s\n", e.what());
  }
  return 1;
}
