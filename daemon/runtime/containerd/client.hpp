#pragma once

#include <grpcpp/grpcpp.h>

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "containers.grpc.pb.h"
#include "events.grpc.pb.h"
#include "namespaces.grpc.pb.h"
#include "tasks.grpc.pb.h"

namespace netvrf::ctrd {

// containerd cannot be reached (not running, restarting): the watcher retries.
class Unavailable : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// containerd's own API over its unix socket (gRPC): the calls the watcher needs. Each call
// names its containerd namespace (the containerd-namespace header). Thread-safe, as gRPC stubs
// are; cancel() ends a subscribe() in progress from another thread.
class Client {
 public:
  explicit Client(const std::string& socket);

  std::vector<std::string> namespaces();
  struct Task {
    std::string containerId;
    uint32_t pid = 0;
  };
  std::vector<Task> runningTasks(const std::string& ns);
  // Whether container `id`'s task runs now with init process `pid`.
  bool runsAs(const std::string& ns, const std::string& id, uint32_t pid);
  struct Container {
    std::map<std::string, std::string> labels;
    std::string image;
    std::string spec;  // the OCI runtime spec (JSON); see networkOfSpec()
  };
  std::optional<Container> container(const std::string& ns, const std::string& id);

  // A containerd event: its namespace, topic and payload (the Any's bytes; parse them with the
  // topic's message: the type_url has no '/', so Any::UnpackTo would fail).
  struct Event {
    std::string ns;
    std::string topic;
    std::string payload;
  };
  // Streams events matching `filters` to `onEvent`, after calling `onSubscribed` once the
  // request is sent, until cancel() or the connection ends. Throws Unavailable when it ends
  // other than by cancel().
  void subscribe(const std::vector<std::string>& filters, const std::function<void()>& onSubscribed,
                 const std::function<void(Event)>& onEvent);
  void cancel();

 private:
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<::containerd::services::events::v1::Events::Stub> events_;
  std::unique_ptr<::containerd::services::tasks::v1::Tasks::Stub> tasks_;
  std::unique_ptr<::containerd::services::containers::v1::Containers::Stub> containers_;
  std::unique_ptr<::containerd::services::namespaces::v1::Namespaces::Stub> namespaces_;
  std::mutex mutex_;
  grpc::ClientContext* streaming_ = nullptr;  // the subscribe() in progress
  bool cancelled_ = false;
};

}  // namespace netvrf::ctrd
