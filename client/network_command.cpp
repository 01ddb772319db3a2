// netvrfctl network list | attach NETWORK --vrf NAME [--table N] | detach NETWORK: the
// runtimes' bridge networks in host VRFs.
#include <iostream>

#include "client.hpp"

namespace netvrfctl {

int network(Client& c, const Args& args) {
  std::string sub = args.empty() ? "list" : args[0];
  if (sub == "list" && args.size() <= 1) {
    json out = json::array();
    for (const auto& n : c.ListNetworks())
      out.push_back({{"runtime", n.get<0>()},
                     {"id", n.get<1>()},
                     {"name", n.get<2>()},
                     {"bridge", n.get<3>()},
                     {"vrf", n.get<4>()}});
    if (c.json) {
      std::cout << out.dump() << "\n";
      return 0;
    }
    std::vector<std::vector<std::string>> rows{{"NAME", "ID", "RUNTIME", "BRIDGE", "VRF"}};
    for (const auto& n : out)
      rows.push_back({n["name"], n["id"].get<std::string>().substr(0, 12), n["runtime"],
                      n["bridge"], orDash(n["vrf"])});
    printTable(rows);
    return 0;
  }
  if (sub == "attach") {
    std::string network, vrf;
    std::map<std::string, sdbus::Variant> options;
    for (size_t i = 1; i < args.size(); ++i) {
      if (args[i] == "--vrf" && i + 1 < args.size())
        vrf = args[++i];
      else if (args[i] == "--table" && i + 1 < args.size())
        options["table"] = sdbus::Variant(tableArg(args[++i]));
      else if (args[i].rfind("--", 0) != 0 && network.empty())
        network = args[i];
      else
        throw UsageError("unexpected '" + args[i] + "'");
    }
    if (network.empty() || vrf.empty()) throw UsageError("attach needs NETWORK and --vrf NAME");
    auto [bridge, table] = c.AttachNetwork(network, vrf, options);
    if (c.json)
      std::cout << json{{"network", network}, {"vrf", vrf}, {"bridge", bridge}, {"table", table}}
                << "\n";
    else
      std::cout << network << ": bridge " << bridge << " in VRF " << vrf << " (table " << table
                << ")\n";
    return 0;
  }
  if (sub == "detach" && args.size() == 2) {
    std::string vrf = c.DetachNetwork(args[1]);
    if (c.json)
      std::cout << json{{"network", args[1]}, {"vrf", vrf}} << "\n";
    else if (vrf.empty())
      std::cout << args[1] << ": not in a VRF; nothing to do\n";
    else
      std::cout << args[1] << ": detached from " << vrf << "\n";
    return 0;
  }
  throw UsageError("expects list, attach NETWORK --vrf NAME [--table N] or detach NETWORK");
}

}  // namespace netvrfctl
