#pragma once

#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <set>
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

  // containerd reported that it started container `id`'s task with init process `pid` (Docker
  // runs its containers through containerd, namespace moby, task id = container id). Called on
  // containerd's thread: pins the namespace and reports the container at once, with the name,
  // labels and image its create event gave, before dockerd's start event and inspection (which
  // follow, and complete and check it). Nothing when the create event was not seen (created
  // before netvrfd listened, or by another engine) or the process is not proven the container's.
  void taskStarted(const std::string& id, pid_t pid);

 private:
  // What a container's create (or rename) event told, for taskStarted().
  struct Created {
    std::string name;
    std::string image;
    std::map<std::string, std::string> labels;
  };
  void noteCreated(const Event& e);          // on the stream's thread: no waiting there
  void remember(const ContainerInfo& info);  // what an inspection told, for the next start

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
  // What is reported of a network: every driver's but host and none (netvrf.container_vrf works
  // on any), with its bridge when it has one.
  std::optional<NetworkInfo> networkInfo(const Network& n) const;
  // The networks `c` is on, by id, each reported before the container: Podman sends no event
  // when a network is created, and names a container's networks by name.
  void learnNetworks(Container& c);
  // GET of one network by `id`, or Podman's by `name`; nothing when it is gone.
  std::optional<Network> inspectNetwork(const std::string& id, const std::string& name);

  std::string runtime_;
  std::string socket_;
  std::function<void(RuntimeEvent)> sink_;
  BlockingQueue<Item> queue_;
  EventStream stream_;
  ApiClient api_;  // used by the resolver thread only
  std::thread resolver_;
  std::optional<bool> available_;
  bool libpod_ = false;  // Podman: its own API names the bridges (resolver thread only)
  std::map<std::string, std::string> networks_;  // known ones: id -> name (resolver thread only)
  std::set<std::string> running_;  // ids of those reported running (resolver thread only)
  std::mutex createdMutex_;
  std::map<std::string, Created> created_;  // by id, from create events until destroy
};

}  // namespace netvrf::docker
