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

int list(Client& c, const ListRequest&) {
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

int status(Client& c, const StatusRequest& r) {
  const std::string& which = r.container;
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
  json x = match[0];
  // What is wanted, and why, is in the full state.
  json wanted = json::object();
  json interfaceVrfs = json::array();
  json ports = json::array();
  std::string lastError;
  json all = json::parse(c.Describe(), nullptr, false);
  if (all.is_object())
    for (const auto& d : all.value("containers", json::array()))
      if (d.value("runtime", "") == x["runtime"] && d.value("id", "") == x["id"]) {
        wanted = d.value("wanted", json::object());
        lastError = d.value("last_error", "");
        interfaceVrfs = d.value("interface_vrfs", json::array());
        ports = d.value("ports", json::array());
      }
  x["wanted"] = wanted;
  x["interface_vrfs"] = interfaceVrfs;
  x["ports"] = ports;
  x["last_error"] = lastError;
  if (c.json) {
    std::cout << x.dump() << "\n";
    return 0;
  }
  auto want = [&](const char* vrf, const char* from) {
    std::string v = wanted.value(vrf, ""), f = wanted.value(from, "none");
    if (f == "detached") return std::string("none (a stored detach keeps it out)");
    if (f == "label error") return std::string("none (its labels cannot be used; see the log)");
    return v.empty() ? std::string("-") : v + " (" + (f == "request" ? "stored request" : f) + ")";
  };
  // One line per interface VRF: "blue: eth1 (network front; attached, default)".
  auto interfaceLine = [](const json& p) {
    std::string ifs;
    for (const auto& i : p.value("interfaces", json::array()))
      ifs += (ifs.empty() ? "" : ",") + i.get<std::string>();
    return p.value("vrf", "") + ": " + (ifs.empty() ? "-" : ifs) + " (" + p.value("from", "") +
           "; " + p.value("attach", "") + (p.value("default", false) ? ", default" : "") + ")";
  };
  std::vector<std::vector<std::string>> rows{{"Name:", x["name"]},
                                             {"Id:", x["id"]},
                                             {"Runtime:", x["runtime"]},
                                             {"State:", x["state"]},
                                             {"Netns:", orDash(x["netns"])},
                                             {"PID:", std::to_string(x["pid"].get<uint32_t>())},
                                             {"VRF:", orDash(x["vrf"])},
                                             {"Wanted VRF:", want("vrf", "from")},
                                             {"Host VRF:", orDash(x["host_vrf"])},
                                             {"Wanted host VRF:", want("host_vrf", "host_from")}};
  for (size_t i = 0; i < interfaceVrfs.size(); ++i)
    rows.push_back({i == 0 ? "Interface VRFs:" : "", interfaceLine(interfaceVrfs[i])});
  // "0.0.0.0:8082/tcp -> 80: VRF blue on 192.0.2.1", "[::]:8082/tcp -> 80: main table".
  for (size_t i = 0; i < ports.size(); ++i) {
    const json& p = ports[i];
    std::string host = p.value("host_ip", "");
    if (host.find(':') != std::string::npos) host = "[" + host + "]";
    std::string where = "main table";
    if (!p.value("vrf", "").empty()) {
      std::string on;
      for (const auto& a : p.value("addresses", json::array()))
        on += (on.empty() ? "" : ", ") + a.get<std::string>();
      where = "VRF " + p.value("vrf", "") + " on " + (on.empty() ? "no address yet" : on);
    }
    rows.push_back({i == 0 ? "Ports:" : "",
                    (host.empty() ? "" : host + ":") +
                        std::to_string(p.value("host_port", 0)) + "/" + p.value("proto", "") +
                        " -> " + std::to_string(p.value("port", 0)) + ": " + where});
  }
  rows.push_back({"Last error:", orDash(lastError)});
  printTable(rows);
  return 0;
}

int attach(Client& c, const AttachRequest& r) {
  std::map<std::string, sdbus::Variant> options;
  if (r.table) options["table"] = sdbus::Variant(*r.table);
  if (r.strict) options["strict"] = sdbus::Variant(true);
  if (r.host) {
    options["host"] = sdbus::Variant(true);
    options["addresses"] = sdbus::Variant(r.addresses);
    if (!r.gateways.empty()) options["gateways"] = sdbus::Variant(r.gateways);
  }
  if (!r.interfaces.empty()) options["interfaces"] = sdbus::Variant(r.interfaces);
  if (r.temporary) options["temporary"] = sdbus::Variant(true);
  auto [ifs, table] = c.AttachContainer(r.container, r.vrf, options);
  if (c.json) {
    std::cout << json{{"container", r.container}, {"vrf", r.vrf},   {"host", r.host},
                      {"temporary", r.temporary}, {"table", table}, {"interfaces", ifs}}
              << "\n";
  } else if (r.host) {
    std::cout << r.container << ": leg into host VRF " << r.vrf << " (table " << table
              << ") through " << joined(ifs) << (r.temporary ? "; until it stops" : "; kept")
              << "\n";
  } else {
    std::cout << r.container << ": in VRF " << r.vrf << " (table " << table << ")"
              << (ifs.empty() ? "" : ": " + joined(ifs))
              << (r.temporary ? "; until it stops" : "; kept") << "\n";
  }
  return 0;
}

int detach(Client& c, const DetachRequest& r) {
  auto vrfs = c.DetachContainer(r.container, r.vrf);
  if (c.json)
    std::cout << json{{"container", r.container}, {"vrfs", vrfs}} << "\n";
  else if (vrfs.empty())
    std::cout << r.container << ": not in a VRF; nothing to do\n";
  else
    std::cout << r.container << ": detached from " << joined(vrfs) << "\n";
  return 0;
}

int requests(Client& c, const RequestsRequest&) {
  json all = json::array();
  for (const auto& s : c.ListRequests())
    all.push_back({{"runtime", s.get<0>()},
                   {"container", s.get<1>()},
                   {"part", s.get<2>()},
                   {"action", s.get<3>()},
                   {"vrf", s.get<4>()},
                   {"table", s.get<5>()}});
  if (c.json) {
    std::cout << all.dump() << "\n";
    return 0;
  }
  std::vector<std::vector<std::string>> rows{
      {"CONTAINER", "RUNTIME", "PART", "ACTION", "VRF", "TABLE"}};
  for (const auto& x : all) {
    uint32_t table = x["table"];
    rows.push_back({x["container"], x["runtime"], x["part"], x["action"], orDash(x["vrf"]),
                    table ? std::to_string(table) : "-"});
  }
  printTable(rows);
  return 0;
}

}  // namespace netvrfctl
