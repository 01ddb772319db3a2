#pragma once

// Containers as the API shows them (D-Bus properties, Describe(), netvrfctl): what the registry
// did with each and what is wanted of and applied to its VRFs, in plain values.

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "attach/host_vrfs.hpp"
#include "netns/netns_dir.hpp"
#include "registry/netns_registry.hpp"
#include "targets/requests.hpp"
#include "targets/target.hpp"
#include "targets/wanted.hpp"

namespace netvrf {

// One VRF inside a container for some of its interfaces (targets/wanted.hpp InterfaceVrf).
struct InterfaceVrfView {
  std::string vrf;
  uint32_t table = 0;                   // once attached
  std::vector<std::string> interfaces;  // enslaved to it, once attached
  std::string attach;                   // toString(AttachState), or "detached" when held out
  std::string from;                     // "network lab", "label netvrf.vrf.eth1", joined by ", "
  bool isDefault = false;               // it takes the unbound sockets
  bool operator==(const InterfaceVrfView&) const = default;
};

// One published port of a container (runtime/container_event.hpp PublishedPort) and where it
// answers: in the main table as Docker makes it, or in the host VRF of the container's network
// (firewall/port_rules.hpp), on those of the VRF's addresses.
struct PortView {
  std::string proto;
  uint16_t port = 0;
  std::string hostIp;
  uint16_t hostPort = 0;
  std::string vrf;  // empty: the main table
  std::vector<std::string> addresses;
};

// One container.
struct ContainerView {
  std::string runtime;
  std::string id;
  std::string name;
  std::string entry;      // the netns entry's name; empty when not registered
  std::string netnsPath;  // its path
  uint32_t pid = 0;
  std::string state;                    // toString(BindingState)
  std::string vrf;                      // the VRF inside its namespace, once attached
  uint32_t table = 0;                   // its table
  std::vector<std::string> interfaces;  // enslaved to it
  std::string attach;                   // toString(AttachState) of that VRF
  std::string hostVrf;                  // the host VRF of its veth leg, once attached
  // What is wanted (targets/wanted.hpp), and where that comes from (toString(WantSource)).
  std::string wantedVrf;
  std::string wantedFrom;
  std::string wantedHostVrf;
  std::string wantedHostFrom;
  // The last thing that went wrong for this instance: "2026-12-04T01:23:45Z not attached: ...".
  std::string lastError;
  // Its interface VRFs, wanted or still applied, by name.
  std::vector<InterfaceVrfView> interfaceVrfs;
  std::vector<PortView> ports;
};

// `target`: null when nothing was asked of the worker for it yet; `wanted`: what it wants now,
// null when it is not registered.
ContainerView viewOf(const Binding& b, const Target* target, const Wanted* wanted,
                     const NetnsDir& netnsDir);

// The whole state, for Describe().
struct DescribeParts {
  std::vector<ContainerView> containers;
  nlohmann::json networks;
  std::vector<HostVrf> vrfs;
  std::vector<StoredRequest> requests;
  std::map<std::string, bool> runtimes;  // reachable or not
  std::string summary;
};
std::string describeJson(const DescribeParts& parts);

}  // namespace netvrf
