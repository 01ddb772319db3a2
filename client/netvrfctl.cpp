// netvrfctl: the command line over netvrfd's D-Bus API (org.netvrf1). Only a client: every
// answer comes from the daemon through the generated proxy.
#include <cstdio>
#include <iostream>

#include "client.hpp"

namespace {

using namespace netvrfctl;

struct Verb {
  const char* name;
  int (*run)(Client&, const Args&);
  const char* usage;  // its lines of --help
};

const Verb kVerbs[] = {
    {"list", list, "  list              every container netvrfd follows, with its netns entry and VRFs\n"},
    {"status", status, "  status CONTAINER  one container, by name or id prefix\n"},
    {"describe", nullptr, "  describe          the whole state as one JSON document\n"},
    {"attach", attach,
     "  attach CONTAINER --vrf NAME [--table N] [--interface IF]... [--strict]\n"
     "                    put the container's interfaces into VRF NAME inside its namespace\n"
     "  attach CONTAINER --vrf NAME --host --address CIDR... [--gateway IP]... [--table N]\n"
     "                    give it a veth leg into VRF NAME on the host\n"},
    {"detach", detach,
     "  detach CONTAINER [--vrf NAME]\n"
     "                    take it out again (every VRF netvrfd made, and its leg, without --vrf)\n"},
    {"vrf", vrf,
     "  vrf list          the VRFs on the host, their tables and interfaces\n"
     "  vrf add NAME [--table N]\n"
     "                    create VRF NAME on the host (a table from the configured range)\n"
     "  vrf del NAME      delete it (it must have no interfaces)\n"},
    {"netns", netns,
     "  netns ls          every entry in /var/run/netns, and whose it is\n"
     "  netns add NAME --pid PID\n"
     "                    show PID's network namespace as NAME until the process exits\n"
     "  netns del NAME    remove such an entry\n"},
    {"network", network,
     "  network list      the runtimes' bridge networks and the host VRFs they are in\n"
     "  network attach NETWORK --vrf NAME [--table N]\n"
     "                    put the network's bridge into VRF NAME on the host\n"
     "  network detach NETWORK\n"
     "                    take it out again (its netvrf.vrf label is not applied again)\n"},
    {"reload", nullptr,
     "  reload            make netvrfd read its configuration file again (as SIGHUP does)\n"},
    {"monitor", nullptr, "  monitor           print changes as they happen, until interrupted\n"},
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

int run(Client& client, sdbus::IConnection& bus, const std::string& verb, const Args& args) {
  if (verb == "describe" && args.empty()) {
    std::cout << client.Describe() << "\n";
    return 0;
  }
  if (verb == "reload" && args.empty()) {
    auto restart = client.Reload();
    if (client.json)
      std::cout << json{{"needs_restart", restart}} << "\n";
    else
      std::cout << "reloaded"
                << (restart.empty() ? "" : "; takes a restart: " + joined(restart)) << "\n";
    return 0;
  }
  if (verb == "monitor" && args.empty()) {
    client.Describe();  // fails now, not silently later, when netvrfd is not there
    bus.enterEventLoop();
    return 0;
  }
  for (const auto& v : kVerbs)
    if (verb == v.name && v.run) return v.run(client, args);
  throw UsageError("unknown command or wrong arguments");
}

}  // namespace

int main(int argc, char** argv) {
  bool asJson = false, help = false;
  Args rest;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--json")
      asJson = true;
    else if (a == "-h" || a == "--help")
      help = true;
    else
      rest.push_back(a);
  }
  if (help || rest.empty()) {
    for (const auto& v : kVerbs)
      if (!rest.empty() && rest[0] == v.name) {
        std::printf("Usage: netvrfctl [--json]\n%s", v.usage);
        return 0;
      }
    usage(help ? stdout : stderr);
    return help ? 0 : 2;
  }
  std::string verb = rest[0];
  rest.erase(rest.begin());
  try {
    auto bus = sdbus::createSystemBusConnection();
    Client client(*bus);
    client.json = asJson;
    return run(client, *bus, verb, rest);
  } catch (const UsageError& e) {
    std::fprintf(stderr, "netvrfctl: %s: %s (see netvrfctl %s --help)\n", verb.c_str(), e.what(),
                 verb.c_str());
    return 2;
  } catch (const sdbus::Error& e) {
    std::string hint =
        e.getName() == "org.freedesktop.DBus.Error.ServiceUnknown" ? " (is netvrfd running?)" : "";
    std::fprintf(stderr, "netvrfctl: %s: %s%s\n", e.getName().c_str(), e.getMessage().c_str(),
                 hint.c_str());
    return 1;
  }
}
