// netvrfd: makes every container's network namespace visible to `ip netns`.
#include <curl/curl.h>
#include <getopt.h>
#include <sys/resource.h>

#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <optional>
#include <vector>

#include "attach/attach_worker.hpp"
#include "common/log.hpp"
#include "config.hpp"
#include "dbus/authorization.hpp"
#include "dbus/bus_keeper.hpp"
#include "loop/event_loop.hpp"
#include "loop/mailbox.hpp"
#include "manager.hpp"
#include "netns/netns_dir.hpp"
#include "netns/ownership.hpp"
#include "runtime/containerd/containerd_watcher.hpp"
#include "runtime/docker/docker_watcher.hpp"
#include "service_notify.hpp"
#include "targets/requests.hpp"

namespace {

struct Options {
  std::optional<std::string> configPath;
  netvrf::log::Target logTarget = netvrf::log::Target::Auto;
  bool verbose = false;
};

void usage(FILE* out) {
  std::fprintf(out,
               "Usage: netvrfd [--config FILE] [--log-target auto|stderr|journal] [--verbose]\n"
               "Registers every container's network namespace under /var/run/netns.\n"
               "Without --config it reads %s if present, else uses built-in defaults.\n",
               netvrf::kDefaultConfigPath);
}

Options parseArgs(int argc, char** argv) {
  Options o;
  static const option longopts[] = {{"config", required_argument, nullptr, 'c'},
                                    {"log-target", required_argument, nullptr, 'l'},
                                    {"verbose", no_argument, nullptr, 'v'},
                                    {"help", no_argument, nullptr, 'h'},
                                    {nullptr, 0, nullptr, 0}};
  for (int ch; (ch = getopt_long(argc, argv, "c:vh", longopts, nullptr)) != -1;) {
    switch (ch) {
      case 'c':
        o.configPath = optarg;
        break;
      case 'v':
        o.verbose = true;
        break;
      case 'l': {
        std::string t = optarg;
        if (t == "auto")
          o.logTarget = netvrf::log::Target::Auto;
        else if (t == "stderr")
          o.logTarget = netvrf::log::Target::Stderr;
        else if (t == "journal")
          o.logTarget = netvrf::log::Target::Journal;
        else {
          std::fprintf(stderr, "netvrfd: --log-target must be auto, stderr or journal\n");
          std::exit(2);
        }
        break;
      }
      case 'h':
        usage(stdout);
        std::exit(0);
      default:
        usage(stderr);
        std::exit(2);
    }
  }
  if (optind < argc) {
    std::fprintf(stderr, "netvrfd: unexpected argument '%s'\n", argv[optind]);
    std::exit(2);
  }
  return o;
}

// The group api.group names, looked up now: a name without a group is a configuration error.
std::optional<gid_t> apiGroupOf(const netvrf::Config& config,
                                const std::optional<std::string>& path) {
  try {
    return netvrf::groupId(config.api.group);
  } catch (const std::runtime_error& e) {
    throw netvrf::ConfigError(path.value_or(netvrf::kDefaultConfigPath) + ": key 'api.group': " +
                              e.what());
  }
}

// netvrfd holds a pidfd per registered namespace: a service's default soft limit (1024) would
// stop it near a thousand containers. Nothing in it uses select(), so the soft limit may be the
// hard one (systemd's default hard limit is 524288).
void raiseFileLimit() {
  rlimit nofile{};
  if (getrlimit(RLIMIT_NOFILE, &nofile) == 0 && nofile.rlim_cur < nofile.rlim_max) {
    nofile.rlim_cur = nofile.rlim_max;
    setrlimit(RLIMIT_NOFILE, &nofile);
  }
}

int run(const Options& opts) {
  using namespace netvrf;
  raiseFileLimit();
  Config config = loadConfig(opts.configPath);
  log::init(opts.logTarget, opts.verbose ? LOG_DEBUG : log::parsePriority(config.logLevel));

  std::optional<gid_t> adminGroup = apiGroupOf(config, opts.configPath);
  EventLoop::blockSignals({SIGTERM, SIGINT, SIGHUP});  // before any thread starts
  EventLoop loop;
  NetnsDir netnsDir(config.netnsDir);
  netnsDir.prepare();
  OwnershipStore store(config.stateDir);
  store.prepare();

  RequestStore requests(config.vrf.requestsFile);  // what users asked for, kept across restarts
  SandboxStore sandboxes(config.stateDir);         // pods the CNI plugin handed over, this boot
  Manager manager(loop, netnsDir, store, requests, sandboxes, config);
  manager.adoptPrevious();

  Mailbox<RuntimeEvent> mailbox(loop, [&](RuntimeEvent e) {
    try {
      manager.handle(std::move(e));
    } catch (const std::exception& ex) {
      log::error(std::string("unexpected failure: ") + ex.what());
    }
  });
  // Attaching waits on the kernel (addresses settle in up to seconds): never on the loop.
  Mailbox<std::function<void()>> attached(loop, [&](std::function<void()> finish) {
    try {
      finish();
    } catch (const std::exception& ex) {
      log::error(std::string("unexpected failure: ") + ex.what());
    }
  });
  AttachWorker attachWorker(
      config.vrf, [&](std::function<void()> finish) { attached.post(std::move(finish)); },
      [&](const std::vector<HostVrf>& vrfs) { manager.hostVrfsSeen(vrfs); });
  manager.setWorker(&attachWorker);
  manager.watchHostLinks();
  manager.restoreSandboxes();

  // The API. Without a system bus netvrfd still does its job, and connects once there is one.
  BusKeeper bus(loop, manager);
  bus.setAdminGroup(adminGroup);
  manager.onContainerChanged = [&](const ContainerView& v) { bus.containerChanged(v); };
  manager.onContainerGone = [&](const std::string& key) { bus.containerGone(key); };
  manager.onVrfsChanged = [&](const std::vector<HostVrf>& v) { bus.vrfsChanged(v); };
  bus.start();

  manager.refreshHostVrfs();

  std::vector<std::unique_ptr<RuntimeWatcher>> watchers;
  docker::Watcher* dockerWatcher = nullptr;
  auto engine = [&](const std::string& runtime, const std::string& socket) {
    manager.expectRuntime(runtime);
    watchers.push_back(std::make_unique<docker::Watcher>(
        runtime, socket, [&](RuntimeEvent e) { mailbox.post(std::move(e)); }));
    return static_cast<docker::Watcher*>(watchers.back().get());
  };
  if (config.docker.enabled) dockerWatcher = engine(docker::Watcher::kDocker, config.docker.socket);
  for (const auto& e : config.docker.endpoints) engine(e.name, e.socket);
  if (config.containerd.enabled) {
    manager.expectRuntime(ctrd::Watcher::kRuntime);
    // Docker's containers are registered from containerd's task event when dockerd uses this
    // containerd, without waiting for dockerd's own event and inspection.
    ctrd::Watcher::DockerTaskStarted dockerTasks;
    if (dockerWatcher)
      dockerTasks = [dockerWatcher](const std::string& id, pid_t pid) {
        dockerWatcher->taskStarted(id, pid);
      };
    watchers.push_back(
        std::make_unique<ctrd::Watcher>(config.containerd, std::move(dockerTasks),
                                        [&](RuntimeEvent e) { mailbox.post(std::move(e)); }));
  }

  bool ready = false;
  auto becomeReady = [&] {
    ready = true;
    service::ready(manager.summary());
    log::info("ready: " + manager.summary());
  };
  manager.onSynced = becomeReady;
  std::string lastStatus;
  manager.onChanged = [&] {
    if (!ready) return;
    std::string now = manager.summary();
    if (now == lastStatus) return;
    lastStatus = std::move(now);
    service::status(lastStatus);
  };
  // A reload applies what can change while running; the rest waits for a restart.
  auto reload = [&] {
    Config fresh = loadConfig(opts.configPath);
    std::optional<gid_t> group = apiGroupOf(fresh, opts.configPath);
    std::vector<std::string> restart = applyReload(config, fresh);
    log::init(opts.logTarget, opts.verbose ? LOG_DEBUG : log::parsePriority(config.logLevel));
    bus.setAdminGroup(group);
    std::string later;
    for (const auto& k : restart) later += (later.empty() ? "" : ", ") + k;
    log::notice("reloaded the configuration" +
                (later.empty() ? std::string() : "; takes a restart: " + later));
    manager.reconcileAll();  // the policies may have changed
    return restart;
  };
  bus.onReload = reload;
  auto sighup = loop.addSignal(SIGHUP, [&] {
    service::reloading();
    try {
      reload();
    } catch (const ConfigError& e) {
      log::error(std::string("reload: ") + e.what() + "; the running configuration is kept");
    }
    service::ready(manager.summary());
  });
  auto sigterm = loop.addSignal(SIGTERM, [&] { loop.exit(0); });
  auto sigint = loop.addSignal(SIGINT, [&] { loop.exit(0); });
  loop.enableWatchdog();

  for (auto& w : watchers) w->start();
  if (watchers.empty()) becomeReady();
  int rc = loop.run();

  service::stopping();
  for (auto& w : watchers) w->stop();
  if (config.cleanupOnExit) manager.removeAll();
  log::info("stopped; " + manager.summary());
  return rc;
}

}  // namespace

int main(int argc, char** argv) {
  Options opts = parseArgs(argc, argv);
  // gRPC polls every client channel from its timer thread every 5 s by default, for channels
  // that no call polls; the containerd watcher always has a call in progress on its thread (the
  // event stream) that polls, so the wakeups buy nothing. Set before the first channel; a value
  // in the environment wins.
  setenv("GRPC_CLIENT_CHANNEL_BACKUP_POLL_INTERVAL_MS", "0", 0);
  netvrf::log::init(opts.logTarget, LOG_INFO);
  curl_global_init(CURL_GLOBAL_DEFAULT);
  try {
    return run(opts);
  } catch (const netvrf::ConfigError& e) {
    std::fprintf(stderr, "netvrfd: %s\n", e.what());
  } catch (const netvrf::RequestFileError& e) {
    std::fprintf(stderr, "netvrfd: %s\n", e.what());
  } catch (const std::exception& e) {
    netvrf::log::error(e.what());
  }
  return 1;
}
