#pragma once

#include <condition_variable>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

#include "common/fd.hpp"
#include "config.hpp"
#include "runtime/container_event.hpp"
#include "runtime/containerd/client.hpp"

namespace netvrf::ctrd {

// Turns containerd's view into RuntimeEvents: subscribes to task events in every namespace
// (or the configured ones), lists the running tasks once the subscription is in place, and
// reconnects with backoff when containerd goes away. Each containerd namespace is a runtime of
// its own for the manager ("containerd:default"), since ids are unique only within one.
// Namespace moby (Docker's containers) is the Docker watcher's while it runs: only their task
// starts are passed to it, so that it need not wait for dockerd.
// The entry name a container gets: a Kubernetes pod sandbox's is "<pod namespace>_<pod name>",
// a nerdctl container's its nerdctl/name label, any other its id. Nothing for the containers of
// a pod, which share the sandbox's namespace.
std::optional<std::string> nameOf(const std::map<std::string, std::string>& labels,
                                  const std::string& id);

class Watcher : public RuntimeWatcher {
 public:
  static constexpr const char* kRuntime = "containerd";  // the first sync is reported under it

  // Docker's task starts (namespace moby), for the Docker watcher: id and init PID.
  using DockerTaskStarted = std::function<void(const std::string& id, pid_t pid)>;

  // While `dockerTasks` is set (the Docker watcher runs), namespace moby is Docker's: its tasks
  // are not reported as containerd's, and their starts go to `dockerTasks`.
  Watcher(ContainerdConfig config, DockerTaskStarted dockerTasks,
          std::function<void(RuntimeEvent)> sink);
  ~Watcher() override;

  void start() override;
  void stop() override;

  static std::string runtimeOf(const std::string& ns) { return std::string(kRuntime) + ":" + ns; }

 private:
  void run();
  void resync(const std::vector<std::string>& namespaces);
  void onEvent(const Client::Event& e);
  bool wanted(const std::string& ns) const;
  // A running task as the manager wants it: labels, name, its namespace pinned.
  std::optional<ContainerRunning> resolve(const std::string& ns, const std::string& id, pid_t pid);
  // Waits `delay`, or, while the socket does not exist, until it appears (no timer); true for
  // the latter. stop() ends either wait at once.
  bool waitBeforeRetry(std::chrono::seconds delay);

  ContainerdConfig config_;
  DockerTaskStarted dockerTasks_;
  std::function<void(RuntimeEvent)> sink_;
  // Only while containerd may be there: gRPC's timer threads wake about once a second however
  // idle (grpc/grpc#19947), and they end with the last channel.
  std::unique_ptr<Client> client_;
  std::thread thread_;
  std::mutex mutex_;  // stopping_, and client_ against stop()'s cancel
  std::condition_variable wake_;
  bool stopping_ = false;
  Fd stopped_;  // an eventfd stop() writes to, for the wait on the socket
  std::optional<bool> available_;
  bool synced_ = false;
};

}  // namespace netvrf::ctrd
