// netvrfd: makes every container's network namespace visible to `ip netns`.
#include <curl/curl.h>
#include <getopt.h>

#include <csignal>
#include <cstdio>
#include <memory>
#include <optional>
#include <vector>

#include "common/log.hpp"
#include "config.hpp"
#include "dbus/bus_service.hpp"
#include "loop/event_loop.hpp"
#include "loop/mailbox.hpp"
#include "manager.hpp"
#include "netns/netns_dir.hpp"
#include "netns/ownership.hpp"
#include "runtime/docker/docker_watcher.hpp"
#include "service_notify.hpp"

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

int run(const Options& opts) {
  using namespace netvrf;
  Config config = loadConfig(opts.configPath);
  log::init(opts.logTarget, opts.verbose ? LOG_DEBUG : log::parsePriority(config.logLevel));

  EventLoop::blockSignals({SIGTERM, SIGINT});  // before any thread starts
  EventLoop loop;
  NetnsDir netnsDir(config.netnsDir);
  netnsDir.prepare();
  OwnershipStore store(config.stateDir);
  store.prepare();

  Manager manager(loop, netnsDir, store, config);
  manager.adoptPrevious();

  Mailbox<RuntimeEvent> mailbox(loop, [&](RuntimeEvent e) {
    try {
      manager.handle(std::move(e));
    } catch (const std::exception& ex) {
      log::error(std::string("unexpected failure: ") + ex.what());
    }
  });
  // Attaching waits on the kernel (addresses settle in up to seconds): never on the loop.
  Mailbox<AttachOutcome> attached(loop, [&](AttachOutcome o) {
    try {
      manager.handleAttached(std::move(o));
    } catch (const std::exception& ex) {
      log::error(std::string("unexpected failure: ") + ex.what());
    }
  });
  AttachWorker attachWorker(config.vrf, [&](AttachOutcome o) { attached.post(std::move(o)); });
  manager.setAttacher([&](AttachJob job) { attachWorker.submit(std::move(job)); });

  // The API. Without a system bus netvrfd still does its job; it says so once.
  std::unique_ptr<BusService> bus;
  try {
    bus = std::make_unique<BusService>(loop, manager);
    manager.onContainerChanged = [&](const ContainerView& v) { bus->containerChanged(v); };
    log::info(std::string("D-Bus: serving ") + kObjectPath + " as " + kBusName);
  } catch (const sdbus::Error& e) {
    log::warning("D-Bus: no API (" + e.getMessage() + "); running without it");
  }

  std::vector<std::unique_ptr<RuntimeWatcher>> watchers;
  if (config.docker.enabled) {
    manager.expectRuntime(docker::Watcher::kRuntime);
    watchers.push_back(std::make_unique<docker::Watcher>(
        config.docker, [&](RuntimeEvent e) { mailbox.post(std::move(e)); }));
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
  netvrf::log::init(opts.logTarget, LOG_INFO);
  curl_global_init(CURL_GLOBAL_DEFAULT);
  try {
    return run(opts);
  } catch (const netvrf::ConfigError& e) {
    std::fprintf(stderr, "netvrfd: %s\n", e.what());
  } catch (const std::exception& e) {
    netvrf::log::error(e.what());
  }
  return 1;
}
