#include "runtime/docker/docker_watcher.hpp"

#include "common/log.hpp"

namespace netvrf::docker {
namespace {

// rename: the entry follows the container's new name.
constexpr const char* kFilters =
    R"({"type":["container"],"event":["start","die","destroy","rename"]})";

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
    if (e.action == "start" || e.action == "rename") {
      if (auto running = resolve(e.id)) {
        sink_(std::move(*running));
        return;
      }
    }
    sink_(ContainerStopped{kRuntime, e.id});
  }
}

void Watcher::resync() {
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
