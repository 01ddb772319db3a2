#pragma once

#include <sys/types.h>

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "runtime/container_event.hpp"

// Parsing of Docker Engine API 1.41 documents. Pure functions: no I/O.
namespace netvrf::docker {

struct Event {
  std::string type;    // "container" or "network"
  std::string action;  // "start", "die", "destroy", "rename"...
  std::string id;
  std::string name;
  // A network's connect and disconnect: the container's id (Docker's "container" attribute;
  // Podman names the container as the actor itself, with no network id).
  std::string container;
  // Every attribute as the engine sends it: for a container, its labels, and "name" and
  // "image" (which hide labels of those names).
  std::map<std::string, std::string> attributes;
  int64_t timeNano = 0;
};

// One line of GET /events. Nothing for lines that are not container or network events, or not
// JSON. Never throws.
std::optional<Event> parseEvent(std::string_view line);

struct Container {
  std::string id;
  std::string name;  // without Docker's leading '/'
  pid_t pid = 0;
  bool running = false;
  std::string startedAt;    // State.StartedAt: tells two runs of one container apart
  std::string networkMode;  // "default", "bridge", "host", "none", "container:<id>", a network
  std::string sandboxKey;   // the namespace's own mount; empty in container: mode
  std::map<std::string, std::string> labels;
  std::string image;  // Config.Image: the reference it was run with
  // NetworkSettings.Networks: each network's id and name, and the MAC and addresses of its
  // interface there.
  std::vector<ContainerNetwork> networks;
  std::vector<PublishedPort> ports;  // NetworkSettings.Ports: only those bound on the host

  bool hostNetwork() const { return networkMode == "host"; }
  std::string sharedWith() const;  // "<id>" for "container:<id>", else empty
};

// GET /containers/{id}/json. Throws std::runtime_error on a malformed document.
Container parseInspect(std::string_view body);

struct Network {
  std::string id;
  std::string name;
  std::string driver;  // "bridge", "host", "null", "macvlan"...
  std::string bridge;  // the Linux bridge of a bridge network: its bridge.name option or br-<id>
  std::map<std::string, std::string> labels;
  std::vector<std::string> subnets;  // IPAM's
};

// GET /networks/ID. Throws std::runtime_error on a malformed document, as the next two do.
Network parseNetwork(std::string_view body);
// GET /networks.
std::vector<Network> parseNetworkList(std::string_view body);
// Podman's own API, which names a network's bridge (its Docker-compatible one does not, and
// gives a container's NetworkID as the network's name): GET /libpod/networks/NAME/json and
// GET /libpod/networks/json.
Network parseLibpodNetwork(std::string_view body);
std::vector<Network> parseLibpodNetworkList(std::string_view body);

// GET /containers/json: the ids.
std::vector<std::string> parseContainerList(std::string_view body);

// The "message" of an API error body, or the body itself.
std::string errorMessage(std::string_view body);

// "seconds.nanoseconds" for the since= parameter.
std::string sinceParam(int64_t timeNano);

}  // namespace netvrf::docker
