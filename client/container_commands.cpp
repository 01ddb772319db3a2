// netvrfctl list, status, attach, detach: containers.
#include <cstdio>
#include <iostream>

#include "client.hpp"

namespace netvrfctl {
namespace {

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

}  // namespace

int list(Client& c, const Args& args) {
  if (!args.empty()) throw UsageError("unexpected '" + args[0] + "'");
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

int status(Client& c, const Args& args) {
  if (args.size() != 1) throw UsageError("needs exactly one CONTAINER");
  const std::string& which = args[0];
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
// attach CONTAINER --vrf NAME --host --address CIDR... [--gateway IP]... [--table N]
int attach(Client& c, const Args& args) {
  std::string container, vrf;
  std::map<std::string, sdbus::Variant> options;
  std::vector<std::string> interfaces, addresses, gateways;
  bool host = false;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    bool hasValue = i + 1 < args.size();
    if (a == "--vrf" && hasValue)
      vrf = args[++i];
    else if (a == "--table" && hasValue)
      options["table"] = sdbus::Variant(tableArg(args[++i]));
    else if (a == "--interface" && hasValue)
      interfaces.push_back(args[++i]);
    else if (a == "--address" && hasValue)
      addresses.push_back(args[++i]);
    else if (a == "--gateway" && hasValue)
      gateways.push_back(args[++i]);
    else if (a == "--strict")
      options["strict"] = sdbus::Variant(true);
    else if (a == "--host")
      host = true;
    else if (a.rfind("--", 0) != 0 && container.empty())
      container = a;
    else
      throw UsageError("unexpected '" + a + "'");
  }
  if (container.empty() || vrf.empty()) throw UsageError("needs CONTAINER and --vrf NAME");
  if (!host && (!addresses.empty() || !gateways.empty()))
    throw UsageError("--address and --gateway are for --host");
  if (host && (!interfaces.empty() || options.count("strict")))
    throw UsageError("--interface and --strict are not for --host");
  if (host && addresses.empty()) throw UsageError("--host needs --address CIDR");
  if (host) {
    options["host"] = sdbus::Variant(true);
    options["addresses"] = sdbus::Variant(addresses);
    if (!gateways.empty()) options["gateways"] = sdbus::Variant(gateways);
  }
  if (!interfaces.empty()) options["interfaces"] = sdbus::Variant(interfaces);
  auto [ifs, table] = c.AttachContainer(container, vrf, options);
  if (c.json) {
    std::cout << json{{"container", container},
                      {"vrf", vrf},
                      {"host", host},
                      {"table", table},
                      {"interfaces", ifs}}
              << "\n";
  } else if (host) {
    std::cout << container << ": leg into host VRF " << vrf << " (table " << table
              << ") through " << joined(ifs) << "\n";
  } else {
    std::cout << container << ": in VRF " << vrf << " (table " << table << ")"
              << (ifs.empty() ? "" : ": " + joined(ifs)) << "\n";
  }
  return 0;
}

// detach CONTAINER [--vrf NAME]
int detach(Client& c, const Args& args) {
  std::string container, vrf;
  for (size_t i = 0; i < args.size(); ++i) {
    if (args[i] == "--vrf" && i + 1 < args.size())
      vrf = args[++i];
    else if (args[i].rfind("--", 0) != 0 && container.empty())
      container = args[i];
    else
      throw UsageError("unexpected '" + args[i] + "'");
  }
  if (container.empty()) throw UsageError("needs CONTAINER");
  auto vrfs = c.DetachContainer(container, vrf);
  if (c.json)
    std::cout << json{{"container", container}, {"vrfs", vrfs}} << "\n";
  else if (vrfs.empty())
    std::cout << container << ": not in a VRF; nothing to do\n";
  else
    std::cout << container << ": detached from " << joined(vrfs) << "\n";
  return 0;
}

}  // namespace netvrfctl
