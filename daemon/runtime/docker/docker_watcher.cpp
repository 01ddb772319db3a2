#include "runtime/docker/docker_watcher.hpp"

#include <algorithm>

#include "common/log.hpp"
#include "common/thread_name.hpp"
#include "runtime/docker/task_proof.hpp"

namespace netvrf::docker {
namespace {

// rename: the entry follows the container's new name. Networks: create and destroy, for the
// netvrf.vrf label on bridge networks; connect and disconnect, for netvrf.container_vrf (Podman
// reports no create or destroy of networks: a container's unknown networks are looked up when it
// is inspected). Podman filters on its own names ("died", "remove"), though it reports "die";
// both engines accept names they do not know.
constexpr const char* kFilters =
    R"({"type":["container","network"],)"
    R"("event":["start","die","died","destroy","remove","rename","create","connect",)"
    R"("disconnect"]})";

}  // namespace

std::optional<NetworkInfo> Watcher::networkInfo(const Network& n) const {
  // The host's namespace, or none: nothing of netvrfd's applies to them.
  if (n.driver == "host" || n.driver == "null") return std::nullopt;
  return NetworkInfo{runtime_, n.id, n.name, n.bridge, n.labels, n.subnets};
}

Watcher::Watcher(std::string runtime, std::string socket, std::function<void(RuntimeEvent)> sink)
    : runtime_(std::move(runtime)),
      socket_(std::move(socket)),
      sink_(std::move(sink)),
      stream_(
          socket_, kFilters,
          {
              .connected = [this] { queue_.push(Connected{}); },
              .disconnected = [this](const std::string& why) { queue_.push(Disconnected{why}); },
              .event =
                  [this](Event e) {
                    noteCreated(e);
                    queue_.push(std::move(e));
                  },
          }),
      api_(socket_) {}

Watcher::~Watcher() {
  stop();
}

void Watcher::start() {
  resolver_ = std::thread([this] {
    nameThisThread("nv-in-" + runtime_);  // inspects what the events name
    resolveLoop();
  });
  stream_.start("nv-ev-" + runtime_);
}

void Watcher::stop() {
  stream_.stop();
  queue_.close();
  if (resolver_.joinable()) resolver_.join();
}

void Watcher::noteCreated(const Event& e) {
  if (e.type != "container" || runtime_ != kDocker) return;  // only Docker's run on containerd
  std::lock_guard lock(createdMutex_);
  if (e.action == "destroy" || e.action == "remove") {
    created_.erase(e.id);
  } else if (e.action == "create") {
    Created c{e.name, {}, e.attributes};
    if (auto image = c.labels.find("image"); image != c.labels.end()) c.image = image->second;
    c.labels.erase("name");
    c.labels.erase("image");
    created_[e.id] = std::move(c);
  } else if (e.action == "rename") {
    if (auto it = created_.find(e.id); it != created_.end()) it->second.name = e.name;
  }
}

void Watcher::remember(const ContainerInfo& info) {
  if (runtime_ != kDocker) return;
  std::lock_guard lock(createdMutex_);
  created_[info.id] = Created{info.name, info.image, info.labels};
}

void Watcher::taskStarted(const std::string& id, pid_t pid) {
  ContainerRunning r;
  {
    std::lock_guard lock(createdMutex_);
    auto it = created_.find(id);
    if (it == created_.end()) return;
    const Created& c = it->second;
    r.info = {runtime_, id, c.name, c.labels, false, {}, c.image, {}, {}};
  }
  auto pin = pinContainerTask(pid, id);
  if (!pin) {
    log::debug(runtime_ + ": the task of " + id.substr(0, 12) + " (PID " + std::to_string(pid) +
               ") is not proven the container's; its start event will tell");
    return;
  }
  r.pin = std::move(*pin);
  r.early = true;
  log::debug(describe(r.info) + ": started by containerd as PID " + std::to_string(pid) +
                 "; registering it without waiting for dockerd",
             fieldsOf(r.info));
  sink_(std::move(r));
}

void Watcher::resolveLoop() {
  while (auto item = queue_.pop()) {
    try {
      handle(*item);
    } catch (const Unavailable& e) {
      // Docker went away mid-way: the stream notices too, and the resync after the reconnect
      // repairs whatever this item would have done.
      log::debug(runtime_ + ": " + e.what());
    } catch (const std::exception& e) {
      log::warning(runtime_ + ": " + e.what());
    }
  }
}

void Watcher::handle(Item& item) {
  if (std::holds_alternative<Connected>(item)) {
    if (available_ != true) sink_(RuntimeAvailability{runtime_, true, socket_});
    available_ = true;
    resync();
  } else if (auto* d = std::get_if<Disconnected>(&item)) {
    std::string why = d->why;
    if (why == EventStream::kNoSocket)  // what serves it, as its packages name it
      why += runtime_ == kDocker ? "; is dockerd running?" : "; is podman.socket running?";
    if (available_ != false) sink_(RuntimeAvailability{runtime_, false, socket_ + ": " + why});
    available_ = false;
  } else {
    auto& e = std::get<Event>(item);
    if (e.type == "network") {
      handleNetwork(e);
      return;
    }
    if (e.action == "create") return;  // nothing runs yet
    if (e.action == "start" || e.action == "rename") {
      if (auto running = resolve(e.id)) {
        running_.insert(running->info.id);
        remember(running->info);
        sink_(std::move(*running));
        return;
      }
    }
    running_.erase(e.id);
    sink_(ContainerStopped{runtime_, e.id});
  }
}

void Watcher::handleNetwork(const Event& e) {
  if (e.action == "destroy") {
    networks_.erase(e.id);
    sink_(NetworkGone{runtime_, e.id});
    return;
  }
  if (e.action == "connect" || e.action == "disconnect") {
    // A running container's interfaces changed: the manager hears it as the container seen
    // again. Only for one seen running: the connects of a container that is starting come
    // while dockerd holds it locked for the start, so inspecting it then waits for the whole
    // start (seconds, under load), and every event queued behind waits too; its start event
    // follows anyway. One that stops is disconnected after it died.
    if (e.container.empty() || !running_.count(e.container)) return;
    if (auto running = resolve(e.container))
      sink_(std::move(*running));
    else
      running_.erase(e.container);
    return;
  }
  if (e.action != "create") return;
  auto n = inspectNetwork(e.id, e.name);
  if (!n) return;  // removed again already
  networks_[n->id] = n->name;
  if (auto info = networkInfo(*n)) sink_(NetworkSeen{std::move(*info)});
}

std::optional<Network> Watcher::inspectNetwork(const std::string& id, const std::string& name) {
  auto r = libpod_ ? api_.get("/libpod/networks/" + name + "/json", kLibpodVersion)
                   : api_.get("/networks/" + id);
  if (r.status == 404) return std::nullopt;
  if (r.status != 200)
    throw std::runtime_error("inspect network " + name + ": HTTP " + std::to_string(r.status) +
                             ": " + errorMessage(r.body));
  return libpod_ ? parseLibpodNetwork(r.body) : parseNetwork(r.body);
}

void Watcher::learnNetworks(Container& c) {
  for (auto& net : c.networks) {
    if (networks_.count(net.id)) continue;
    auto known = std::find_if(networks_.begin(), networks_.end(),
                              [&](const auto& kv) { return kv.second == net.name; });
    if (known != networks_.end()) {
      net.id = known->first;
      continue;
    }
    auto n = inspectNetwork(net.id, net.name);
    if (!n) continue;
    networks_[n->id] = n->name;
    net.id = n->id;
    if (auto info = networkInfo(*n)) sink_(NetworkSeen{std::move(*info)});
  }
}

void Watcher::resync() {
  // Podman answers its own API's ping (dockerd: 404).
  libpod_ = api_.get("/libpod/_ping", kLibpodVersion).status == 200;
  auto nets = libpod_ ? api_.get("/libpod/networks/json", kLibpodVersion) : api_.get("/networks");
  if (nets.status != 200)
    throw std::runtime_error("list networks: HTTP " + std::to_string(nets.status) + ": " +
                             errorMessage(nets.body));
  NetworksSynced networks{runtime_, {}};
  networks_.clear();
  for (const auto& n : libpod_ ? parseLibpodNetworkList(nets.body) : parseNetworkList(nets.body)) {
    networks_[n.id] = n.name;
    if (auto info = networkInfo(n)) networks.networks.push_back(std::move(*info));
  }
  sink_(std::move(networks));

  auto r = api_.get("/containers/json");
  if (r.status != 200)
    throw std::runtime_error("list containers: HTTP " + std::to_string(r.status) + ": " +
                             errorMessage(r.body));
  RuntimeSynced synced{runtime_, {}};
  running_.clear();
  for (const auto& id : parseContainerList(r.body))
    if (auto running = resolve(id)) {
      running_.insert(running->info.id);
      remember(running->info);  // its next start can be registered from containerd's event
      synced.running.push_back(std::move(*running));
    }
  sink_(std::move(synced));
}

std::optional<Container> Watcher::inspect(const std::string& id) {
  auto r = api_.get("/containers/" + id + "/json");
  if (r.status == 404) return std::nullopt;
  if (r.status != 200)
    throw std::runtime_error("inspect " + id + ": HTTP " + std::to_string(r.status) + ": " +
                             errorMessage(r.body));
  return parseInspect(r.body);
}

std::optional<NsIdentity> Watcher::expectedNs(const Container& c, int depth) {
  if (!c.sandboxKey.empty()) return nsIdentityOfPath(c.sandboxKey);
  auto other = c.sharedWith();
  if (other.empty() || depth > 3) return std::nullopt;
  auto joined = inspect(other);
  if (!joined || !joined->running) return std::nullopt;
  return expectedNs(*joined, depth + 1);
}

std::optional<ContainerRunning> Watcher::resolve(const std::string& id) {
  auto c = inspect(id);
  if (!c || !c->running || c->pid <= 0) return std::nullopt;
  learnNetworks(*c);
  ContainerRunning r;
  r.info = {runtime_,        c->id,    c->name,    c->labels, c->hostNetwork(),
            c->sharedWith(), c->image, c->networks, c->ports};
  if (r.info.hostNetwork) return r;
  try {
    if (auto expected = expectedNs(*c)) {
      r.pin = pinNetns(c->pid, expected);
      return r;
    }
    // No sandbox to compare with (Podman's --network none, a pod member whose infra container
    // has none): the pidfd proves the namespace is that process's; a second inspection proves
    // the process is still this run of the container (a PID reused in between would show the
    // container stopped, or started again at another time).
    PinnedNetns pin = pinNetns(c->pid, std::nullopt);
    auto again = inspect(id);
    if (!again || !again->running || again->pid != c->pid || again->startedAt != c->startedAt)
      return std::nullopt;  // gone meanwhile: its stop event follows
    r.pin = std::move(pin);
  } catch (const std::system_error& e) {
    r.pinError = e.what();
  }
  return r;
}

}  // namespace netvrf::docker
