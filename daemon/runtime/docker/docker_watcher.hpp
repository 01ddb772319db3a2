#pragma once

#include <functional>
#include <optional>
#include <string>
#include <thread>
#include <variant>

#include "common/blocking_queue.hpp"
#include "runtime/container_event.hpp"
#include "runtime/docker/api_client.hpp"
#include "runtime/docker/event_stream.hpp"

namespace netvrf::docker {

// Turns the view of an engine that speaks the Docker API (dockerd, Podman's service) into
// RuntimeEvents. Two threads: the EventStream reader, which only queues, and a resolver, which
// inspects containers and pins their namespaces (the slow part) in the order the events came.
class Watcher : public RuntimeWatcher {
 public:
  static constexpr const char* kDocker = "docker";

  // `runtime` names the engine in everything reported ("docker", "podman"...).
  Watcher(std::string runtime, std::string socket, std::function<void(RuntimeEvent)> sink);
  ~Watcher() override;

  void start() override;
  void stop() override;

 private:
  struct Connected {};
  struct Disconnected {
    std::string why;
  };
  using Item = std::variant<Connected, Disconnected, Event>;

  void resolveLoop();
  void handle(Item& item);
  void resync();
  void handleNetwork(const Event& e);
  // Inspects `id` and pins its namespace; nothing when it does not run (any more).
  std::optional<ContainerRunning> resolve(const std::string& id);
  // The namespace identity the container must have: its SandboxKey's, or, in container: mode,
  // that of the container it joined.
  std::optional<NsIdentity> expectedNs(const Container& c, int depth = 0);
  std::optional<Container> inspect(const std::string& id);
  std::optional<NetworkInfo> bridgeNetwork(const Network& n) const;

  std::string runtime_;
  std::string socket_;
  std::function<void(RuntimeEvent)> sink_;
  BlockingQueue<Item> queue_;
  EventStream stream_;
  ApiClient api_;  // used by the resolver thread only
  std::thread resolver_;
  std::optional<bool> available_;
};

}  // namespace netvrf::docker
