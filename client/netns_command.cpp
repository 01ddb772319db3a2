// netvrfctl netns ls | add NAME --pid PID | del NAME: the netns directory as netvrfd sees it.
#include <cstdlib>
#include <iostream>

#include "client.hpp"

namespace netvrfctl {

int netns(Client& c, const Args& args) {
  std::string sub = args.empty() ? "ls" : args[0];
  if ((sub == "ls" || sub == "list") && args.size() <= 1) {
    json out = json::array();
    for (const auto& n : c.ListNamespaces())
      out.push_back(
          {{"name", n.get<0>()}, {"runtime", n.get<1>()}, {"owner", n.get<2>()}, {"pid", n.get<3>()}});
    if (c.json) {
      std::cout << out.dump() << "\n";
      return 0;
    }
    std::vector<std::vector<std::string>> rows{{"NAME", "RUNTIME", "OWNER", "PID"}};
    for (const auto& n : out) {
      uint32_t pid = n["pid"];
      rows.push_back({n["name"], n["runtime"] == "" ? "(not netvrfd's)" : n["runtime"],
                      orDash(n["owner"]), pid ? std::to_string(pid) : "-"});
    }
    printTable(rows);
    return 0;
  }
  if (sub == "add" && args.size() == 4 && args[2] == "--pid") {
    char* end = nullptr;
    unsigned long n = std::strtoul(args[3].c_str(), &end, 10);
    if (args[3].empty() || args[3][0] == '-' || *end || n == 0 || n > UINT32_MAX)
      throw UsageError("--pid: '" + args[3] + "' is not a PID");
    std::string path = c.RegisterNamespace(args[1], uint32_t(n));
    if (c.json)
      std::cout << json{{"name", args[1]}, {"pid", n}, {"path", path}} << "\n";
    else
      std::cout << args[1] << ": " << path << " (until PID " << n << " exits)\n";
    return 0;
  }
  if (sub == "del" && args.size() == 2) {
    c.UnregisterNamespace(args[1]);
    if (c.json)
      std::cout << json{{"name", args[1]}, {"removed", true}} << "\n";
    else
      std::cout << args[1] << ": removed\n";
    return 0;
  }
  throw UsageError("expects ls, add NAME --pid PID or del NAME");
}

}  // namespace netvrfctl
