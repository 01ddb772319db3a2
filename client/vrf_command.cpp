// netvrfctl vrf list | add NAME [--table N] | del NAME: VRFs on the host.
#include <iostream>

#include "client.hpp"

namespace netvrfctl {

int vrf(Client& c, const Args& args) {
  std::string sub = args.empty() ? "list" : args[0];
  if (sub == "list" && args.size() <= 1) {
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
  if (sub == "add" && (args.size() == 2 || (args.size() == 4 && args[2] == "--table"))) {
    uint32_t wanted = args.size() == 4 ? tableArg(args[3]) : 0;
    uint32_t table = c.CreateVrf(args[1], wanted);
    if (c.json)
      std::cout << json{{"name", args[1]}, {"table", table}} << "\n";
    else
      std::cout << "VRF " << args[1] << ": table " << table << "\n";
    return 0;
  }
  if (sub == "del" && args.size() == 2) {
    c.DeleteVrf(args[1]);
    if (c.json)
      std::cout << json{{"name", args[1]}, {"deleted", true}} << "\n";
    else
      std::cout << "VRF " << args[1] << ": deleted\n";
    return 0;
  }
  throw UsageError("expects list, add NAME [--table N] or del NAME");
}

}  // namespace netvrfctl
