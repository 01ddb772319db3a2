// netvrfctl: the command line over netvrfd's D-Bus API (org.netvrf1). Only a client: every
// answer comes from the daemon through the generated proxy.
#include <sdbus-c++/sdbus-c++.h>

#include <algorithm>
#include <climits>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <iostream>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "netvrf1_proxy.h"

namespace {

using nlohmann::json;

constexpr const char* kUsage =
    "Usage: netvrfctl [--json] COMMAND\n"
    "Commands:\n"
    "  list              every container netvrfd follows, with its netns entry and VRFs\n"
    "  status CONTAINER  one container, by name or id prefix\n"
    "  describe          the whole state as one JSON document\n"
    "  attach CONTAINER --vrf NAME [--table N] [--interface IF]... [--strict]\n"
    "                    put the container's interfaces into VRF NAME inside its namespace\n"
    "  detach CONTAINER [--vrf NAME]\n"
    "                    take them out again (every VRF netvrfd made there without --vrf)\n"
    "  monitor           print changes as they happen, until interrupted\n"
    "Options:\n"
    "  --json            machine-readable output (stable field names)\n"
    "  -h, --help        this text\n";

class Client : public sdbus::ProxyInterfaces<org::netvrf1::Manager_proxy> {
 public:
  explicit Client(sdbus::IConnection& bus) : ProxyInterfaces(bus, "org.netvrf1", "/org/netvrf1") {
    registerProxy();
  }
  virtual ~Client() { unregisterProxy(); }

  bool json = false;

 private:
  void onContainerChanged(const std::string& key, const std::string& name, const std::string& state,
                          const std::string& vrf) override {
    if (json)
      std::cout << nlohmann::json{{"key", key}, {"name", name}, {"state", state}, {"vrf", vrf}}
                << std::endl;
    else
      std::cout << name << " " << state << (vrf.empty() ? "" : " vrf " + vrf) << std::endl;
  }
};

json containersJson(Client& c) {
  json out = json::array();
  for (const auto& s : c.ListContainers())
    out.push_back({{"runtime", s.get<0>()},
                   {"id", s.get<1>()},
                   {"name", s.get<2>()},
                   {"netns", s.get<3>()},
                   {"pid", s.get<4>()},
                   {"state", s.get<5>()},
                   {"vrf", s.get<6>()},
                   {"host_vrf", s.get<7>()}});
  return out;
}

// Aligned columns, as `ip -br` and `networkctl list` print them.
void printTable(const std::vector<std::vector<std::string>>& rows) {
  std::vector<size_t> width;
  for (const auto& r : rows)
    for (size_t i = 0; i < r.size(); ++i) {
      if (width.size() <= i) width.push_back(0);
      width[i] = std::max(width[i], r[i].size());
    }
  for (const auto& r : rows) {
    std::string line;
    for (size_t i = 0; i < r.size(); ++i)
      line += r[i] + (i + 1 < r.size() ? std::string(width[i] - r[i].size() + 2, ' ') : "");
    std::cout << line << "\n";
  }
}

std::string orDash(const std::string& s) {
  return s.empty() ? "-" : s;
}

int list(Client& c) {
  json all = containersJson(c);
  if (c.json) {
    std::cout << all.dump() << "\n";
    return 0;
  }
  std::vector<std::vector<std::string>> rows{
      {"NAME", "ID", "RUNTIME", "NETNS", "PID", "STATE", "VRF", "HOST VRF"}};
  for (const auto& x : all)
    rows.push_back({x["name"], x["id"].get<std::string>().substr(0, 12), x["runtime"],
                    orDash(x["netns"]), std::to_string(x["pid"].get<uint32_t>()), x["state"],
                    orDash(x["vrf"]), orDash(x["host_vrf"])});
  printTable(rows);
  return 0;
}

int status(Client& c, const std::string& which) {
  json match = json::array();
  for (const auto& x : containersJson(c)) {
    if (x["name"] == which) {
      match = json::array({x});
      break;
    }
    if (x["id"].get<std::string>().rfind(which, 0) == 0) match.push_back(x);
  }
  if (match.size() != 1) {
    std::fprintf(stderr, "netvrfctl: %s: %s\n",
                 match.empty() ? "org.netvrf1.Error.NoSuchContainer"
                               : "org.netvrf1.Error.AmbiguousContainer",
                 (match.empty() ? "no container " + which
                                : "'" + which + "' matches " + std::to_string(match.size()) +
                                      " containers; give more of the id")
                     .c_str());
    return 1;
  }
  const json& x = match[0];
  if (c.json) {
    std::cout << x.dump() << "\n";
    return 0;
  }
  printTable({{"Name:", x["name"]},
              {"Id:", x["id"]},
              {"Runtime:", x["runtime"]},
              {"State:", x["state"]},
              {"Netns:", orDash(x["netns"])},
              {"PID:", std::to_string(x["pid"].get<uint32_t>())},
              {"VRF:", orDash(x["vrf"])},
              {"Host VRF:", orDash(x["host_vrf"])}});
  return 0;
}

// attach CONTAINER --vrf NAME [--table N] [--interface IF]... [--strict]
int attach(Client& c, const std::vector<std::string>& args) {
  std::string container, vrf;
  std::map<std::string, sdbus::Variant> options;
  std::vector<std::string> interfaces;
  for (size_t i = 1; i < args.size(); ++i) {
    const std::string& a = args[i];
    bool hasValue = i + 1 < args.size();
    if (a == "--vrf" && hasValue) {
      vrf = args[++i];
    } else if (a == "--table" && hasValue) {
      const std::string& t = args[++i];
      char* end = nullptr;
      unsigned long long n = std::strtoull(t.c_str(), &end, 10);
      if (t.empty() || *end || n > UINT32_MAX) {
        std::fprintf(stderr, "netvrfctl: --table: '%s' is not a table number\n", t.c_str());
        return 2;
      }
      options["table"] = sdbus::Variant(uint32_t(n));
    } else if (a == "--interface" && hasValue) {
      interfaces.push_back(args[++i]);
    } else if (a == "--strict") {
      options["strict"] = sdbus::Variant(true);
    } else if (a.rfind("--", 0) != 0 && container.empty()) {
      container = a;
    } else {
      std::fprintf(stderr, "netvrfctl: attach: unexpected '%s' (see --help)\n", a.c_str());
      return 2;
    }
  }
  if (container.empty() || vrf.empty()) {
    std::fprintf(stderr, "netvrfctl: attach: needs CONTAINER and --vrf NAME (see --help)\n");
    return 2;
  }
  if (!interfaces.empty()) options["interfaces"] = sdbus::Variant(interfaces);
  auto [ifs, table] = c.AttachContainer(container, vrf, options);
  if (c.json) {
    std::cout << json{{"container", container}, {"vrf", vrf}, {"table", table}, {"interfaces", ifs}}
              << "\n";
  } else {
    std::string list;
    for (const auto& i : ifs) list += (list.empty() ? "" : ", ") + i;
    std::cout << container << ": in VRF " << vrf << " (table " << table << ")"
              << (list.empty() ? "" : ": " + list) << "\n";
  }
  return 0;
}

// detach CONTAINER [--vrf NAME]
int detach(Client& c, const std::vector<std::string>& args) {
  std::string container, vrf;
  for (size_t i = 1; i < args.size(); ++i) {
    if (args[i] == "--vrf" && i + 1 < args.size())
      vrf = args[++i];
    else if (args[i].rfind("--", 0) != 0 && container.empty())
      container = args[i];
    else {
      std::fprintf(stderr, "netvrfctl: detach: unexpected '%s' (see --help)\n", args[i].c_str());
      return 2;
    }
  }
  if (container.empty()) {
    std::fprintf(stderr, "netvrfctl: detach: needs CONTAINER (see --help)\n");
    return 2;
  }
  auto vrfs = c.DetachContainer(container, vrf);
  if (c.json) {
    std::cout << json{{"container", container}, {"vrfs", vrfs}} << "\n";
  } else if (vrfs.empty()) {
    std::cout << container << ": not in a VRF; nothing to do\n";
  } else {
    std::string list;
    for (const auto& v : vrfs) list += (list.empty() ? "" : ", ") + v;
    std::cout << container << ": detached from " << list << "\n";
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  bool asJson = false;
  std::vector<std::string> rest;
  for (const auto& a : args) {
    if (a == "--json")
      asJson = true;
    else if (a == "-h" || a == "--help") {
      std::cout << kUsage;
      return 0;
    } else
      rest.push_back(a);
  }
  if (rest.empty()) {
    std::cerr << kUsage;
    return 2;
  }
  const std::string& verb = rest[0];
  try {
    auto bus = sdbus::createSystemBusConnection();
    Client client(*bus);
    client.json = asJson;
    if (verb == "list" && rest.size() == 1) return list(client);
    if (verb == "status" && rest.size() == 2) return status(client, rest[1]);
    if (verb == "attach") return attach(client, rest);
    if (verb == "detach") return detach(client, rest);
    if (verb == "describe" && rest.size() == 1) {
      std::cout << client.Describe() << "\n";
      return 0;
    }
    if (verb == "monitor" && rest.size() == 1) {
      client.Describe();  // fails now, not silently later, when netvrfd is not there
      bus->enterEventLoop();
      return 0;
    }
    std::fprintf(stderr, "netvrfctl: unknown command or wrong arguments: %s (see --help)\n",
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
