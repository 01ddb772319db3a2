// netvrfctl network list | attach NETWORK --vrf NAME [--table N] | detach NETWORK: the
// runtimes' networks, and their bridges in host VRFs.
#include <iostream>

#include "client.hpp"

namespace netvrfctl {

int network(Client& c, const NetworkRequest& r) {
  switch (r.action) {
    case NetworkRequest::Action::List: {
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
                        orDash(n["bridge"]), orDash(n["vrf"])});
      printTable(rows);
      return 0;
    }
    case NetworkRequest::Action::Attach: {
      std::map<std::string, sdbus::Variant> options;
      if (r.table) options["table"] = sdbus::Variant(*r.table);
      auto [bridge, table] = c.AttachNetwork(r.network, r.vrf, options);
      if (c.json)
        std::cout << json{{"network", r.network},
                          {"vrf", r.vrf},
                          {"bridge", bridge},
                          {"table", table}}
                  << "\n";
      else
        std::cout << r.network << ": bridge " << bridge << " in VRF " << r.vrf << " (table "
                  << table << ")\n";
      return 0;
    }
    case NetworkRequest::Action::Detach: {
      std::string vrf = c.DetachNetwork(r.network);
      if (c.json)
        std::cout << json{{"network", r.network}, {"vrf", vrf}} << "\n";
      else if (vrf.empty())
        std::cout << r.network << ": not in a VRF; nothing to do\n";
      else
        std::cout << r.network << ": detached from " << vrf << "\n";
      return 0;
    }
  }
  return 2;  // not reached: every action is handled above
}

}  // namespace netvrfctl
