#include "views/container_view.hpp"

#include <ctime>

namespace netvrf {

namespace {

std::string utcTime(std::chrono::system_clock::time_point at) {
  std::time_t t = std::chrono::system_clock::to_time_t(at);
  std::tm utc{};
  gmtime_r(&t, &utc);
  char when[32];
  std::strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%SZ", &utc);
  return when;
}

std::vector<InterfaceVrfView> interfaceVrfViews(const Target& t, const Wanted& w) {
  std::map<std::string, InterfaceVrfView> parts;
  for (const auto& p : w.interfaceVrfs) {
    InterfaceVrfView& view = parts[p.request.vrf];
    view.vrf = p.request.vrf;
    view.attach = toString(AttachState::None);
    for (const auto& f : p.from) view.from += (view.from.empty() ? "" : ", ") + f;
    view.isDefault = !p.request.strict;
  }
  for (const auto& [vrf, p] : t.interfaceParts) {
    InterfaceVrfView& view = parts[vrf];
    view.vrf = vrf;
    view.attach = p.heldOut && p.state == AttachState::None ? "detached" : toString(p.state);
    if (p.state == AttachState::Attached) {
      view.table = p.table;
      view.interfaces = p.interfaces;
    }
  }
  std::vector<InterfaceVrfView> out;
  for (auto& [vrf, view] : parts) out.push_back(std::move(view));
  return out;
}

nlohmann::json interfaceVrfsJson(const std::vector<InterfaceVrfView>& parts) {
  nlohmann::json out = nlohmann::json::array();
  for (const auto& p : parts)
    out.push_back({{"vrf", p.vrf},
                   {"table", p.table},
                   {"interfaces", p.interfaces},
                   {"attach", p.attach},
                   {"from", p.from},
                   {"default", p.isDefault}});
  return out;
}

nlohmann::json portsJson(const std::vector<PortView>& ports) {
  nlohmann::json out = nlohmann::json::array();
  for (const auto& p : ports)
    out.push_back({{"proto", p.proto},
                   {"port", p.port},
                   {"host_ip", p.hostIp},
                   {"host_port", p.hostPort},
                   {"vrf", p.vrf},
                   {"addresses", p.addresses}});
  return out;
}

nlohmann::json containerJson(const ContainerView& v) {
  return {{"runtime", v.runtime},
          {"id", v.id},
          {"name", v.name},
          {"netns", v.entry},
          {"netns_path", v.netnsPath},
          {"pid", v.pid},
          {"state", v.state},
          {"vrf", v.vrf},
          {"table", v.table},
          {"interfaces", v.interfaces},
          {"attach", v.attach},
          {"host_vrf", v.hostVrf},
          {"last_error", v.lastError},
          {"interface_vrfs", interfaceVrfsJson(v.interfaceVrfs)},
          {"ports", portsJson(v.ports)},
          {"wanted",
           {{"vrf", v.wantedVrf},
            {"from", v.wantedFrom},
            {"host_vrf", v.wantedHostVrf},
            {"host_from", v.wantedHostFrom}}}};
}
}  // namespace

ContainerView viewOf(const Binding& b, const Target* target, const Wanted* wanted,
                     const NetnsDir& netnsDir) {
  Target none;  // nothing asked of the worker for it yet
  const Target& t = target ? *target : none;
  bool registered = b.state == BindingState::Registered;
  ContainerView v;
  v.runtime = b.info.runtime;
  v.id = b.info.id;
  v.name = b.info.name;
  v.entry = registered ? b.entry : "";
  v.netnsPath = v.entry.empty() ? "" : netnsDir.pathOf(v.entry);
  if (registered && !b.sandboxPath.empty()) {
    // A CNI sandbox: the runtime's own path; its name when that is an entry `ip netns` lists.
    v.netnsPath = b.sandboxPath;
    std::string dir = netnsDir.pathOf("");
    if (b.sandboxPath.starts_with(dir) && b.sandboxPath.find('/', dir.size()) == std::string::npos)
      v.entry = b.sandboxPath.substr(dir.size());
  }
  v.pid = registered ? uint32_t(b.pin.pid) : 0;
  v.state = toString(b.state);
  bool attached = t.attach == AttachState::Attached;
  v.vrf = attached ? t.vrf : "";
  v.table = attached ? t.table : 0;
  v.interfaces = attached ? t.interfaces : std::vector<std::string>{};
  v.attach = toString(t.attach);
  v.hostVrf = t.hostAttach == AttachState::Attached && t.hostLeg ? t.hostLeg->vrf : "";
  if (!t.lastError.empty()) v.lastError = utcTime(t.lastErrorAt) + " " + t.lastError;
  if (!registered || !wanted) return v;
  if (wanted->inside.request) v.wantedVrf = wanted->inside.request->vrf;
  v.wantedFrom = wanted->inside.from();
  if (wanted->host.request) v.wantedHostVrf = wanted->host.request->vrf;
  v.wantedHostFrom = wanted->host.from();
  v.interfaceVrfs = interfaceVrfViews(t, *wanted);
  return v;
}

std::string describeJson(const DescribeParts& parts) {
  nlohmann::json doc;
  doc["containers"] = nlohmann::json::array();
  for (const auto& v : parts.containers) doc["containers"].push_back(containerJson(v));
  doc["networks"] = parts.networks;
  doc["vrfs"] = nlohmann::json::array();
  for (const auto& v : parts.vrfs)
    doc["vrfs"].push_back(
        {{"name", v.name}, {"table", v.table}, {"interfaces", v.interfaces}, {"owned", v.owned}});
  doc["requests"] = nlohmann::json::parse(requestsJson(parts.requests));
  doc["runtimes"] = nlohmann::json::object();
  for (const auto& [runtime, up] : parts.runtimes)
    doc["runtimes"][runtime] = up ? "connected" : "not reachable";
  doc["summary"] = parts.summary;
  return doc.dump();
}

}  // namespace netvrf
