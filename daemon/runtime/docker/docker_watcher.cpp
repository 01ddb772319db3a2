#include "runtime/docker/docker_watcher.hpp"

#include "common/log.hpp"

namespace netvrf::docker {
namespace {

// rename: the entry follows the container's new name. Networks: create and destroy, for the
// netvrf.vrf label on bridge networks.
constexpr const char* kFilters =
    R"({"type":["container","network"],"event":["start","die","destroy","rename","create"]})";

std::optional<NetworkInfo> bridgeNetwork(const Network& n) {
  if (n.bridge.empty()) return std::nullopt;
  return NetworkInfo{Watcher::kRuntime, n.id, n.name, n.bridge, n.labels};
}

}  // namespace

Watcher::Watcher(DockerConfig config, std::function<void(RuntimeEvent)> sink)
    : config_(std::move(config)),
      sink_(std::move(sink)),
      stream_(
          config_.socket, kFilters,
          {
              .connected = [this] { queue_.push(Connected{}); },
              .disconnected = [this](const std::string& why) { queue_.push(Disconnected{why}); },
              .event = [this](Event e) { queue_.push(std::move(e)); },
          }),
      api_(config_.socket) {}

Watcher::~Watcher() {
  stop();
}

void Watcher::start() {
  resolver_ = std::thread([this] { resolveLoop(); });
  stream_.start();
}

void Watcher::stop() {
  stream_.stop();
  queue_.close();
  if (resolver_.joinable()) resolver_.join();
}

void Watcher::resolveLoop() {
  while (auto item = queue_.pop()) {
    try {
      handle(*item);
    } catch (const Unavailable& e) {
      // Docker went away mid-way: the stream notices too, and the resync after the reconnect
      // repairs whatever this item would have done.
      log::debug(std::string("docker: ") + e.what());
    } catch (const std::exception& e) {
      log::warning(std::string("docker: ") + e.what());
    }
  }
}

void Watcher::handle(Item& item) {
  if (std::holds_alternative<Connected>(item)) {
    if (available_ != true) sink_(RuntimeAvailability{kRuntime, true, config_.socket});
    available_ = true;
    resync();
  } else if (auto* d = std::get_if<Disconnected>(&item)) {
    if (available_ != false)
      sink_(RuntimeAvailability{kRuntime, false, config_.socket + ": " + d->why});
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
        sink_(std::move(*running));
        return;
      }
    }
    sink_(ContainerStopped{kRuntime, e.id});
  }
}

void Watcher::handleNetwork(const Event& e) {
  if (e.action == "destroy") {
    sink_(NetworkGone{kRuntime, e.id});
    return;
  }
  if (e.action != "create") return;
  auto r = api_.get("/networks/" + e.id);
  if (r.status == 404) return;  // removed again already
  if (r.status != 200)
    throw std::runtime_error("inspect network " + e.id + ": HTTP " + std::to_string(r.status) +
                             ": " + errorMessage(r.body));
  if (auto n = bridgeNetwork(parseNetwork(r.body))) sink_(NetworkSeen{std::move(*n)});
}

void Watcher::resync() {
  auto nets = api_.get("/networks");
  if (nets.status != 200)
    throw std::runtime_error("list networks: HTTP " + std::to_string(nets.status) + ": " +
                             errorMessage(nets.body));
  NetworksSynced networks{kRuntime, {}};
  for (const auto& n : parseNetworkList(nets.body))
    if (auto info = bridgeNetwork(n)) networks.networks.push_back(std::move(*info));
  sink_(std::move(networks));

  auto r = api_.get("/containers/json");
  if (r.status != 200)
    throw std::runtime_error("list containers: HTTP " + std::to_string(r.status) + ": " +
                             errorMessage(r.body));
  RuntimeSynced synced{kRuntime, {}};
  for (const auto& id : parseContainerList(r.body))
    if (auto running = resolve(id)) synced.running.push_back(std::move(*running));
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
  ContainerRunning r;
  r.info = {kRuntime, c->id, c->name, c->labels, c->hostNetwork(), c->sharedWith()};
  if (r.info.hostNetwork) return r;
  try {
    auto expected = expectedNs(*c);
    if (!expected)
      r.pinError =
          "its namespace cannot be identified (no sandbox; network mode " + c->networkMode + ")";
    else
      r.pin = pinNetns(c->pid, expected);
  } catch (const std::system_error& e) {
    r.pinError = e.what();
  }
  return r;
}

}  // namespace netvrf::docker
