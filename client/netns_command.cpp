// netvrfctl netns ls | add NAME --pid PID | del NAME: the netns directory as netvrfd sees it.
#include <iostream>

#include "client.hpp"

namespace netvrfctl {

int netns(Client& c, const NetnsRequest& r) {
  switch (r.action) {
    case NetnsRequest::Action::List: {
      json out = json::array();
      for (const auto& n : c.ListNamespaces())
        out.push_back({{"name", n.get<0>()},
                       {"runtime", n.get<1>()},
                       {"owner", n.get<2>()},
                       {"pid", n.get<3>()}});
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
    case NetnsRequest::Action::Add: {
      std::string path = c.RegisterNamespace(r.name, r.pid);
      if (c.json)
        std::cout << json{{"name", r.name}, {"pid", r.pid}, {"path", path}} << "\n";
      else
        std::cout << r.name << ": " << path << " (until PID " << r.pid << " exits)\n";
      return 0;
    }
    case NetnsRequest::Action::Del:
      c.UnregisterNamespace(r.name);
      if (c.json)
        std::cout << json{{"name", r.name}, {"removed", true}} << "\n";
      else
        std::cout << r.name << ": removed\n";
      return 0;
  }
  return 2;  // not reached: every action is handled above
}

}  // namespace netvrfctl
