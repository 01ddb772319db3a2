// netvrfctl vrf list | add NAME [--table N] | del NAME: VRFs on the host.
#include <iostream>

#include "client.hpp"

namespace netvrfctl {

int vrf(Client& c, const VrfRequest& r) {
  switch (r.action) {
    case VrfRequest::Action::List: {
      json out = json::array();
      for (const auto& v : c.ListVrfs())
        out.push_back({{"name", v.get<0>()},
                       {"table", v.get<1>()},
                       {"interfaces", v.get<2>()},
                       {"owned", v.get<3>()}});
      if (c.json) {
        std::cout << out.dump() << "\n";
        return 0;
      }
      std::vector<std::vector<std::string>> rows{{"NAME", "TABLE", "OWNER", "INTERFACES"}};
      for (const auto& v : out)
        rows.push_back({v["name"], std::to_string(v["table"].get<uint32_t>()),
                        v["owned"].get<bool>() ? "netvrf" : "-",
                        orDash(joined(v["interfaces"].get<std::vector<std::string>>()))});
      printTable(rows);
      return 0;
    }
    case VrfRequest::Action::Add: {
      uint32_t table = c.CreateVrf(r.name, r.table);
      if (c.json)
        std::cout << json{{"name", r.name}, {"table", table}} << "\n";
      else
        std::cout << "VRF " << r.name << ": table " << table << "\n";
      return 0;
    }
    case VrfRequest::Action::Del:
      c.DeleteVrf(r.name);
      if (c.json)
        std::cout << json{{"name", r.name}, {"deleted", true}} << "\n";
      else
        std::cout << "VRF " << r.name << ": deleted\n";
      return 0;
  }
  return 2;  // not reached: every action is handled above
}

}  // namespace netvrfctl
