// netvrfctl: the command line over netvrfd's D-Bus API (org.netvrf1). Only a client: every
// answer comes from the daemon through the generated proxy.
#include <cstdio>
#include <iostream>
#include <variant>

#include "client.hpp"
#include "common/printable.hpp"

namespace {

using namespace netvrfctl;

struct Verb {
  const char* name;
  const char* usage;  // its lines of --help
};

const Verb kVerbs[] = {
    {"list", "  list              every container netvrfd follows, with its netns entry and VRFs\n"},
    {"status", "  status CONTAINER  one container, by name or id prefix\n"},
    {"describe", "  describe          the whole state as one JSON document\n"},
    {"attach",
     "  attach CONTAINER --vrf NAME [--table N] [--interface IF]... [--strict] [--temporary]\n"
     "                    put the container's interfaces into VRF NAME inside its namespace\n"
     "  attach CONTAINER --vrf NAME --host --address CIDR... [--gateway IP]... [--table N]\n"
     "         [--temporary]\n"
     "                    give it a veth leg into VRF NAME on the host\n"
     "                    kept, and applied whenever a container of that name starts, unless\n"
     "                    --temporary (this instance only)\n"},
    {"detach",
     "  detach CONTAINER [--vrf NAME]\n"
     "                    take it out again (every VRF netvrfd made, and its leg, without --vrf);\n"
     "                    kept too: a labelled container stays out until attached again\n"},
    {"requests",
     "  requests          what attach and detach stored, for containers running or not\n"},
    {"vrf",
     "  vrf list          the VRFs on the host, their tables and interfaces\n"
     "  vrf add NAME [--table N]\n"
     "                    create VRF NAME on the host (a table from the configured range)\n"
     "  vrf del NAME      delete it (it must have no interfaces)\n"},
    {"netns",
     "  netns ls          every entry in /var/run/netns, and whose it is\n"
     "  netns add NAME --pid PID\n"
     "                    show PID's network namespace as NAME until the process exits\n"
     "  netns del NAME    remove such an entry\n"},
    {"network",
     "  network list      the runtimes' networks and the host VRFs their bridges are in\n"
     "  network attach NETWORK --vrf NAME [--table N]\n"
     "                    put the network's bridge into VRF NAME on the host\n"
     "  network detach NETWORK\n"
     "                    take it out again (its netvrf.vrf label is not applied again)\n"},
    {"reload",
     "  reload            make netvrfd read its configuration file again (as SIGHUP does)\n"},
    {"monitor", "  monitor           print changes as they happen, until interrupted\n"},
};

void usage(FILE* out) {
  std::string text = "Usage: netvrfctl [--json] COMMAND [ARGS]\nCommands:\n";
  for (const auto& v : kVerbs) text += v.usage;
  text +=
      "Options:\n"
      "  --json            machine-readable output (stable field names)\n"
      "  -h, --help        this text; COMMAND --help: that command's\n";
  std::fputs(text.c_str(), out);
}

// Runs one parsed request; each command returns the exit code.
struct Run {
  Client& client;
  sdbus::IConnection& bus;

  int operator()(const ListRequest& r) { return list(client, r); }
  int operator()(const StatusRequest& r) { return status(client, r); }
  int operator()(const AttachRequest& r) { return attach(client, r); }
  int operator()(const DetachRequest& r) { return detach(client, r); }
  int operator()(const RequestsRequest& r) { return requests(client, r); }
  int operator()(const VrfRequest& r) { return vrf(client, r); }
  int operator()(const NetnsRequest& r) { return netns(client, r); }
  int operator()(const NetworkRequest& r) { return network(client, r); }
  int operator()(const DescribeRequest&) {
    std::cout << client.Describe() << "\n";
    return 0;
  }
  int operator()(const ReloadRequest&) {
    auto restart = client.Reload();
    if (client.json)
      std::cout << json{{"needs_restart", restart}} << "\n";
    else
      std::cout << "reloaded"
                << (restart.empty() ? "" : "; takes a restart: " + joined(restart)) << "\n";
    return 0;
  }
  int operator()(const MonitorRequest&) {
    // Fails now, not silently later, when netvrfd is not there. Its reply also proves the
    // signal match is in place (sd-bus adds it synchronously when the proxy is registered),
    // so from the next line on nothing is missed: scripts and tests wait for it.
    client.Describe();
    if (client.json)
      std::cout << json{{"monitoring", "org.netvrf1"}} << std::endl;
    else
      std::cout << "monitoring org.netvrf1 (Ctrl-C to stop)" << std::endl;
    bus.enterEventLoop();
    return 0;
  }
};

}  // namespace

int main(int argc, char** argv) {
  CommandLine cl = parseCommandLine(argc > 1 ? Args(argv + 1, argv + argc) : Args());
  if (cl.help || !cl.verb) {
    for (const auto& v : kVerbs)
      if (cl.verb == v.name) {
        std::printf("Usage: netvrfctl [--json]\n%s", v.usage);
        return 0;
      }
    usage(cl.help ? stdout : stderr);
    return cl.help ? 0 : 2;
  }
  const std::string& verb = *cl.verb;
  try {
    // Parsed inside the try, where a UsageError gets its one line and exit code 2, and before
    // the bus: wrong arguments are wrong whether netvrfd runs or not.
    Request request = parseRequest(verb, cl.args);
    auto bus = sdbus::createSystemBusConnection();
    Client client(*bus);
    client.json = cl.json;
    return std::visit(Run{client, *bus}, request);
  } catch (const UsageError& e) {
    std::string shown = netvrf::printableName(verb);  // the verb too may be anything
    std::fprintf(stderr, "netvrfctl: %s: %s (see netvrfctl %s --help)\n", shown.c_str(), e.what(),
                 shown.c_str());
    return 2;
  } catch (const sdbus::Error& e) {
    std::string hint =
        e.getName() == "org.freedesktop.DBus.Error.ServiceUnknown" ? " (is netvrfd running?)" : "";
    std::fprintf(stderr, "netvrfctl: %s: %s%s\n", e.getName().c_str(), e.getMessage().c_str(),
                 hint.c_str());
    return 1;
  }
}
