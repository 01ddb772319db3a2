#include "runtime/containerd/containerd_watcher.hpp"

#include <poll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <algorithm>

#include "common/log.hpp"
#include "common/path_watch.hpp"
#include "common/thread_name.hpp"
#include "runtime/containerd/event_decode.hpp"
#include "runtime/containerd/spec.hpp"

namespace netvrf::ctrd {
namespace {

// What CRI (Kubernetes) labels its containers with.
constexpr const char* kCriKind = "io.cri-containerd.kind";  // "sandbox" or "container"
constexpr const char* kPodName = "io.kubernetes.pod.name";
constexpr const char* kPodNamespace = "io.kubernetes.pod.namespace";

// Comma = and, several strings = or (containerd's filter syntax).
const std::vector<std::string> kFilters{R"(topic~="^/tasks/(start|exit|delete)$")"};

constexpr const char* kDockerNamespace = "moby";  // where dockerd runs its containers

}  // namespace

std::optional<std::string> nameOf(const std::map<std::string, std::string>& labels,
                                  const std::string& id) {
  auto label = [&](const char* key) {
    auto it = labels.find(key);
    return it == labels.end() ? std::string() : it->second;
  };
  std::string kind = label(kCriKind);
  if (kind == "container") return std::nullopt;
  if (kind == "sandbox") {
    // One entry per pod, under a name people know (CRI's own cni-<uuid> entry says nothing);
    // '_' cannot occur in either part, so the name is unambiguous.
    std::string pod = label(kPodName), podNs = label(kPodNamespace);
    if (!pod.empty() && !podNs.empty()) return podNs + "_" + pod;
  }
  std::string nerdctl = label("nerdctl/name");
  return nerdctl.empty() ? id : nerdctl;
}

Watcher::Watcher(ContainerdConfig config, DockerTaskStarted dockerTasks,
                 std::function<void(RuntimeEvent)> sink)
    : config_(std::move(config)),
      dockerTasks_(std::move(dockerTasks)),
      sink_(std::move(sink)),
      stopped_(eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)) {}

Watcher::~Watcher() {
  stop();
}

void Watcher::start() {
  thread_ = std::thread([this] {
    nameThisThread("nv-containerd");
    run();
  });
}

void Watcher::stop() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
    if (client_) client_->cancel();
  }
  wake_.notify_all();
  if (stopped_) {
    uint64_t one = 1;
    (void)!write(stopped_.get(), &one, sizeof one);
  }
  if (thread_.joinable()) thread_.join();
}

bool Watcher::waitBeforeRetry(std::chrono::seconds delay) {
  if (stopped_ && access(config_.socket.c_str(), F_OK) != 0) {
    try {
      PathWatch watch(config_.socket);
      pollfd fds[] = {{watch.fd(), POLLIN, 0}, {stopped_.get(), POLLIN, 0}};
      while (!watch.exists()) {
        if (poll(fds, 2, -1) < 0 && errno != EINTR) break;
        if (fds[1].revents) break;  // stop()
      }
      return true;
    } catch (const std::system_error&) {
      // No inotify here: the timer below.
    }
  }
  std::unique_lock lock(mutex_);
  wake_.wait_for(lock, delay, [this] { return stopping_; });
  return false;
}

void Watcher::run() {
  std::chrono::seconds backoff{1};
  for (;;) {
    {
      std::lock_guard lock(mutex_);
      if (stopping_) return;
    }
    try {
      // No socket, no channel: gRPC starts its threads with the first one.
      if (access(config_.socket.c_str(), F_OK) != 0) throw Unavailable("no such socket");
      {
        std::lock_guard lock(mutex_);
        if (stopping_) return;
        client_ = std::make_unique<Client>(config_.socket);
      }
      client_->subscribe(
          kFilters,
          [&] {
            // The first answer shows that containerd is there.
            std::vector<std::string> namespaces = client_->namespaces();
            if (available_ != true) sink_(RuntimeAvailability{kRuntime, true, config_.socket});
            available_ = true;
            backoff = std::chrono::seconds{1};
            resync(namespaces);
          },
          [&](Client::Event e) {
            try {
              onEvent(e);
            } catch (const Unavailable&) {
              throw;
            } catch (const std::exception& ex) {
              log::warning(std::string("containerd: ") + e.topic + " in " + e.ns + ": " + ex.what());
            }
          });
    } catch (const std::exception& e) {
      if (available_ != false) sink_(RuntimeAvailability{kRuntime, false, config_.socket + ": " + e.what()});
      available_ = false;
      log::debug(e.what());
    }
    {
      std::lock_guard lock(mutex_);
      client_.reset();  // the last channel: gRPC's threads end until containerd is back
    }
    if (waitBeforeRetry(backoff))
      backoff = std::chrono::seconds{1};  // it has just appeared: containerd is starting
    else
      backoff = std::min(backoff * 2, std::chrono::seconds{30});
  }
}

bool Watcher::wanted(const std::string& ns) const {
  if (ns == kDockerNamespace && dockerTasks_) return false;  // Docker's, and Docker has the names
  return config_.namespaces.empty() ||
         std::find(config_.namespaces.begin(), config_.namespaces.end(), ns) !=
             config_.namespaces.end();
}

void Watcher::resync(const std::vector<std::string>& namespaces) {
  log::debug("containerd: listing the running tasks");
  for (const auto& ns : namespaces) {
    if (!wanted(ns)) continue;
    RuntimeSynced synced{runtimeOf(ns), {}};
    for (const auto& t : client_->runningTasks(ns))
      if (auto r = resolve(ns, t.containerId, pid_t(t.pid))) synced.running.push_back(std::move(*r));
    sink_(std::move(synced));
  }
  if (!synced_) sink_(RuntimeSynced{kRuntime, {}});  // the manager waits for this one at start
  synced_ = true;
}

void Watcher::onEvent(const Client::Event& e) {
  if (e.ns == kDockerNamespace && dockerTasks_) {
    if (auto event = decodeTaskEvent(e.topic, e.payload))
      if (const auto* started = std::get_if<TaskStarted>(&*event))
        dockerTasks_(started->containerId, pid_t(started->pid));
    return;
  }
  if (!wanted(e.ns)) return;
  auto event = decodeTaskEvent(e.topic, e.payload);
  if (!event) return;
  if (const auto* started = std::get_if<TaskStarted>(&*event)) {
    if (auto r = resolve(e.ns, started->containerId, pid_t(started->pid))) {
      sink_(std::move(*r));
      return;
    }
    sink_(ContainerStopped{runtimeOf(e.ns), started->containerId});
  } else {
    sink_(ContainerStopped{runtimeOf(e.ns), std::get<TaskEnded>(*event).containerId});
  }
}

std::optional<ContainerRunning> Watcher::resolve(const std::string& ns, const std::string& id,
                                                 pid_t pid) {
  auto c = client_->container(ns, id);
  if (!c || pid <= 0) {
    log::debug("containerd: " + ns + "/" + id + " is gone");
    return std::nullopt;
  }
  auto name = nameOf(c->labels, id);
  if (!name) return std::nullopt;  // a container of a Kubernetes pod: its sandbox has the entry
  ContainerRunning r;
  r.info = {runtimeOf(ns), id, *name, c->labels, false, {}, c->image, {}, {}};
  try {
    NetworkOfSpec net = networkOfSpec(c->spec);
    r.info.hostNetwork = net.hostNetwork;
    if (r.info.hostNetwork) return r;
    std::optional<NsIdentity> expected;
    if (net.path) {
      expected = nsIdentityOfPath(*net.path);
      if (!expected) {
        r.pinError = "the namespace it joins (" + *net.path + ") is gone";
        return r;
      }
    }
    r.pin = pinNetns(pid, expected);
    // Without a sandbox path to compare with, the task itself vouches for the process: if it
    // still runs with this PID, the process the pidfd holds is its (a PID reused after an exit
    // would belong to a task that no longer runs).
    if (!client_->runsAs(ns, id, uint32_t(pid))) {
      log::debug("containerd: " + ns + "/" + id + " no longer runs as PID " + std::to_string(pid));
      return std::nullopt;
    }
  } catch (const std::system_error& e) {
    if (e.code().value() == ESRCH) return std::nullopt;  // it exited already
    r.pinError = e.what();
  } catch (const std::runtime_error& e) {
    r.pinError = e.what();
  }
  return r;
}

}  // namespace netvrf::ctrd
