#include "runtime/containerd/client.hpp"

#include <chrono>

namespace netvrf::ctrd {
namespace {

using namespace std::chrono_literals;

// Every unary call gets a deadline: a containerd that accepts but never answers must not hang
// the watcher.
void prepare(grpc::ClientContext& ctx, const std::string& ns) {
  ctx.set_deadline(std::chrono::system_clock::now() + 10s);
  if (!ns.empty()) ctx.AddMetadata("containerd-namespace", ns);
}

[[noreturn]] void fail(const grpc::Status& s, const std::string& what) {
  std::string msg = "containerd: " + what + ": " + s.error_message();
  if (s.error_code() == grpc::StatusCode::UNAVAILABLE ||
      s.error_code() == grpc::StatusCode::DEADLINE_EXCEEDED)
    throw Unavailable(msg);
  throw std::runtime_error(msg);
}

}  // namespace

Client::Client(const std::string& socket)
    : channel_(grpc::CreateChannel("unix://" + socket, grpc::InsecureChannelCredentials())),
      events_(::containerd::services::events::v1::Events::NewStub(channel_)),
      tasks_(::containerd::services::tasks::v1::Tasks::NewStub(channel_)),
      containers_(::containerd::services::containers::v1::Containers::NewStub(channel_)),
      namespaces_(::containerd::services::namespaces::v1::Namespaces::NewStub(channel_)) {}

std::vector<std::string> Client::namespaces() {
  grpc::ClientContext ctx;
  prepare(ctx, "");
  ::containerd::services::namespaces::v1::ListNamespacesRequest req;
  ::containerd::services::namespaces::v1::ListNamespacesResponse resp;
  if (auto s = namespaces_->List(&ctx, req, &resp); !s.ok()) fail(s, "list namespaces");
  std::vector<std::string> out;
  for (const auto& n : resp.namespaces()) out.push_back(n.name());
  return out;
}

std::vector<Client::Task> Client::runningTasks(const std::string& ns) {
  grpc::ClientContext ctx;
  prepare(ctx, ns);
  ::containerd::services::tasks::v1::ListTasksRequest req;
  ::containerd::services::tasks::v1::ListTasksResponse resp;
  if (auto s = tasks_->List(&ctx, req, &resp); !s.ok()) fail(s, "list tasks in " + ns);
  std::vector<Task> out;
  for (const auto& t : resp.tasks())
    // containerd 1.6 fills in only the task id (the container's id) here.
    if (t.status() == ::containerd::v1::types::RUNNING && t.pid() > 0)
      out.push_back({t.container_id().empty() ? t.id() : t.container_id(), t.pid()});
  return out;
}

bool Client::runsAs(const std::string& ns, const std::string& id, uint32_t pid) {
  grpc::ClientContext ctx;
  prepare(ctx, ns);
  ::containerd::services::tasks::v1::GetRequest req;
  req.set_container_id(id);
  ::containerd::services::tasks::v1::GetResponse resp;
  auto s = tasks_->Get(&ctx, req, &resp);
  if (s.error_code() == grpc::StatusCode::NOT_FOUND) return false;
  if (!s.ok()) fail(s, "get task " + ns + "/" + id);
  return resp.process().status() == ::containerd::v1::types::RUNNING && resp.process().pid() == pid;
}

std::optional<Client::Container> Client::container(const std::string& ns, const std::string& id) {
  grpc::ClientContext ctx;
  prepare(ctx, ns);
  ::containerd::services::containers::v1::GetContainerRequest req;
  req.set_id(id);
  ::containerd::services::containers::v1::GetContainerResponse resp;
  auto s = containers_->Get(&ctx, req, &resp);
  if (s.error_code() == grpc::StatusCode::NOT_FOUND) return std::nullopt;
  if (!s.ok()) fail(s, "get container " + ns + "/" + id);
  Container c;
  for (const auto& [k, v] : resp.container().labels()) c.labels[k] = v;
  c.spec = resp.container().spec().value();
  c.image = resp.container().image();
  return c;
}

void Client::subscribe(const std::vector<std::string>& filters,
                       const std::function<void()>& onSubscribed,
                       const std::function<void(Event)>& onEvent) {
  grpc::ClientContext ctx;
  {
    std::lock_guard lock(mutex_);
    if (cancelled_) return;
    streaming_ = &ctx;
  }
  struct Clear {
    Client* self;
    ~Clear() {
      std::lock_guard lock(self->mutex_);
      self->streaming_ = nullptr;
    }
  } clear{this};
  ::containerd::services::events::v1::SubscribeRequest req;
  for (const auto& f : filters) req.add_filters(f);
  auto reader = events_->Subscribe(&ctx, req);
  // containerd sends no headers before its first event, so there is no telling when the
  // subscription is in place: the listing runs right after the request went out, on the same
  // connection (the watcher lists again periodically for a start that fell in between).
  onSubscribed();
  ::containerd::services::events::v1::Envelope env;
  while (reader->Read(&env)) onEvent({env.namespace_(), env.topic(), env.event().value()});
  auto s = reader->Finish();
  {
    std::lock_guard lock(mutex_);
    if (cancelled_) return;
  }
  if (s.ok()) throw Unavailable("containerd: the event stream ended");
  fail(s, "event stream");
}

void Client::cancel() {
  std::lock_guard lock(mutex_);
  cancelled_ = true;
  if (streaming_) streaming_->TryCancel();
}

}  // namespace netvrf::ctrd
