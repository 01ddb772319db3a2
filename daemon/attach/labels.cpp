#include "attach/labels.hpp"

#include <charconv>
#include <vector>

namespace netvrf {
namespace {

[[noreturn]] void bad(const std::string& label, const std::string& value, const std::string& why) {
  throw LabelError("label " + label + "=" + value + ": " + why);
}

uint64_t tableOf(const std::string& label, const std::string& value) {
  uint64_t table = 0;
  auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), table);
  if (ec != std::errc() || end != value.data() + value.size())
    bad(label, value, "not a table number");
  if (auto e = tableError(table)) bad(label, value, *e);
  return table;
}

std::vector<std::string> listOf(const std::string& value) {
  std::vector<std::string> out;
  size_t start = 0;
  for (;;) {
    size_t comma = value.find(',', start);
    out.push_back(value.substr(start, comma == std::string::npos ? comma : comma - start));
    if (comma == std::string::npos) return out;
    start = comma + 1;
  }
}

std::string ifname(const std::string& label, const std::string& value) {
  if (auto e = ifnameError(value)) bad(label, value, *e);
  return value;
}

}  // namespace

LabelPlan planFromLabels(const std::map<std::string, std::string>& labels,
                         const std::string& containerId) {
  LabelPlan plan;
  InsideRequest in;
  HostSideRequest host;
  bool anyInside = false, anyHost = false;
  for (const auto& [label, value] : labels) {
    if (label.rfind("netvrf.", 0) != 0) continue;
    bool isHost = label.rfind("netvrf.host_", 0) == 0;
    if (label.starts_with("netvrf.vrf.") || label.starts_with("netvrf.default.")) {
      std::string dev = label.substr(label.find('.', 7) + 1);
      if (auto e = ifnameError(dev)) bad(label, value, "not an interface name: " + *e);
      if (label.starts_with("netvrf.vrf.")) {
        plan.interfaceVrfs[dev] = ifname(label, value);
      } else {
        if (value != "true" && value != "false") bad(label, value, "must be true or false");
        if (value == "true") plan.defaults.insert(dev);
      }
      continue;
    }
    (isHost ? anyHost : anyInside) = true;
    if (label == kVrfLabel) {
      in.vrf = ifname(label, value);
    } else if (label == "netvrf.table") {
      in.table = tableOf(label, value);
    } else if (label == "netvrf.interfaces") {
      for (const auto& name : listOf(value)) {
        if (auto e = ifnameError(name)) bad(label, value, *e);
        in.interfaces.push_back(name);
      }
    } else if (label == "netvrf.strict") {
      if (value != "true" && value != "false") bad(label, value, "must be true or false");
      in.strict = value == "true";
    } else if (label == "netvrf.host_vrf") {
      host.vrf = ifname(label, value);
    } else if (label == "netvrf.host_table") {
      host.table = tableOf(label, value);
    } else if (label == "netvrf.host_interface") {
      host.containerIfname = ifname(label, value);
    } else if (label == "netvrf.host_addresses") {
      host.addresses = listOf(value);
    } else if (label == "netvrf.host_gateways") {
      host.gateways = listOf(value);
    } else {
      bad(label, value,
          "unknown netvrf label (known: netvrf.vrf, netvrf.table, netvrf.interfaces, "
          "netvrf.strict, netvrf.vrf.<interface>, netvrf.default.<interface>, "
          "netvrf.host_vrf, netvrf.host_table, netvrf.host_addresses, "
          "netvrf.host_gateways, netvrf.host_interface)");
    }
  }
  for (const auto& dev : plan.defaults)
    if (!plan.interfaceVrfs.contains(dev))
      throw LabelError("label netvrf.default." + dev + "=true without netvrf.vrf." + dev +
                       ": which VRF?");
  for (const auto& dev : in.interfaces)
    if (plan.interfaceVrfs.contains(dev))
      throw LabelError("interface " + dev + " is named by netvrf.interfaces and by netvrf.vrf." +
                       dev + ": one VRF each");
  if (anyInside) {
    if (in.vrf.empty()) throw LabelError("netvrf.* labels without netvrf.vrf: which VRF?");
    plan.inside = std::move(in);
  }
  if (anyHost) {
    if (host.vrf.empty())
      throw LabelError("netvrf.host_* labels without netvrf.host_vrf: which VRF?");
    if (host.addresses.empty())
      throw LabelError("netvrf.host_vrf=" + host.vrf + " without netvrf.host_addresses");
    if (host.containerIfname.empty()) host.containerIfname = defaultContainerIfname(host.vrf);
    host.hostIfname = defaultHostIfname(containerId, host.vrf);
    plan.host = std::move(host);
  }
  return plan;
}

NetworkLabelPlan planFromNetworkLabels(const std::map<std::string, std::string>& labels) {
  NetworkLabelPlan plan;
  InsideRequest bridge;
  bool anyBridge = false;
  for (const auto& [label, value] : labels) {
    if (!label.starts_with("netvrf.")) continue;
    if (label == kVrfLabel) {
      bridge.vrf = ifname(label, value);
      anyBridge = true;
    } else if (label == "netvrf.table") {
      bridge.table = tableOf(label, value);
      anyBridge = true;
    } else if (label == "netvrf.container_vrf") {
      plan.containerVrf = ifname(label, value);
    } else if (label == "netvrf.default") {
      if (value != "true" && value != "false") bad(label, value, "must be true or false");
      plan.isDefault = value == "true";
    } else {
      bad(label, value,
          "not a network's netvrf label (known: netvrf.vrf, netvrf.table, "
          "netvrf.container_vrf, netvrf.default)");
    }
  }
  if (anyBridge) {
    if (bridge.vrf.empty()) throw LabelError("netvrf.table without netvrf.vrf: which VRF?");
    bridge.strict = true;
    plan.bridge = std::move(bridge);
  }
  if (plan.isDefault && plan.containerVrf.empty())
    throw LabelError("label netvrf.default=true without netvrf.container_vrf: which VRF?");
  return plan;
}

}  // namespace netvrf
