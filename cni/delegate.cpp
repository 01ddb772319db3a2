#include "delegate.hpp"

#include <sdbus-c++/sdbus-c++.h>
#include <unistd.h>

#include <map>

#include "netvrf1_proxy.h"
#include "spec.hpp"

namespace netvrf::cni {

DaemonUse daemonUseOf(const nlohmann::json& config) {
  auto it = config.find("daemon");
  if (it == config.end() || it->is_null()) return DaemonUse::Preferred;
  std::string v = it->is_string() ? it->get<std::string>() : "";
  if (v == "required") return DaemonUse::Required;
  if (v == "preferred") return DaemonUse::Preferred;
  if (v == "never") return DaemonUse::Never;
  throw Error(kInvalidConfig,
              "\"daemon\" must be \"required\", \"preferred\" or \"never\", not " + it->dump());
}

std::string podNameOf(const Request& r) {
  auto ns = r.args.find("K8S_POD_NAMESPACE");
  auto pod = r.args.find("K8S_POD_NAME");
  if (ns == r.args.end() || pod == r.args.end() || ns->second.empty() || pod->second.empty())
    return "";
  return ns->second + "_" + pod->second;
}

namespace {

constexpr const char* kBusName = "org.netvrf1";

class Manager : public sdbus::ProxyInterfaces<org::netvrf1::Manager_proxy> {
 public:
  // No registerProxy(): the plugin calls methods and listens to no signal.
  explicit Manager(sdbus::IConnection& bus) : ProxyInterfaces(bus, kBusName, "/org/netvrf1") {}
  virtual ~Manager() = default;

 private:
  void onContainerChanged(const std::string&, const std::string&, const std::string&,
                          const std::string&) override {}
};

// What the runtime gets for netvrfd's error.
Error fromBusError(const sdbus::Error& e) {
  static const std::map<std::string, int> codes{
      {"org.netvrf1.Error.NotSupported", kNoVrfSupport},
      {"org.netvrf1.Error.TableInUse", kTableTaken},
      {"org.netvrf1.Error.InvalidArgument", kInvalidConfig},
      {"org.freedesktop.DBus.Error.NoReply", kTryAgainLater},
      {"org.freedesktop.DBus.Error.Timeout", kTryAgainLater},
      {"org.freedesktop.DBus.Error.ServiceUnknown", kTryAgainLater},
      {"org.freedesktop.DBus.Error.NameHasNoOwner", kTryAgainLater},
      {"org.freedesktop.DBus.Error.Disconnected", kTryAgainLater},
  };
  auto it = codes.find(e.getName());
  return Error(it == codes.end() ? kAttachFailed : it->second, "netvrfd: " + e.getMessage(),
               e.getName());
}

}  // namespace

Daemon::Daemon(std::unique_ptr<sdbus::IConnection> bus) : bus_(std::move(bus)) {}
Daemon::~Daemon() = default;

std::unique_ptr<Daemon> Daemon::find(std::string& why) {
  try {
    auto bus = sdbus::createSystemBusConnection();
    auto dbus = sdbus::createProxy(*bus, "org.freedesktop.DBus", "/org/freedesktop/DBus");
    bool running = false;
    dbus->callMethod("NameHasOwner")
        .onInterface("org.freedesktop.DBus")
        .withArguments(std::string(kBusName))
        .storeResultsTo(running);
    if (!running) {
      why = std::string("nothing owns ") + kBusName + " on the system bus";
      return nullptr;
    }
    return std::unique_ptr<Daemon>(new Daemon(std::move(bus)));
  } catch (const sdbus::Error& e) {
    why = "no system bus: " + e.getMessage();
    return nullptr;
  }
}

Daemon::Attached Daemon::attach(const Request& r, const Choice& c, const Fd& netns) {
  std::map<std::string, sdbus::Variant> options{{"path", sdbus::Variant(r.netns)},
                                                {"interfaces", sdbus::Variant(c.interfaces)},
                                                {"strict", sdbus::Variant(c.strict)}};
  if (auto name = podNameOf(r); !name.empty()) options["name"] = sdbus::Variant(name);
  if (c.table) options["table"] = sdbus::Variant(uint32_t(*c.table));
  try {
    Manager m(*bus_);
    auto [interfaces, table] =
        m.AttachSandbox(r.containerId, sdbus::UnixFd(netns.get()), c.vrf, options);
    return {interfaces, table};
  } catch (const sdbus::Error& e) {
    throw fromBusError(e);
  }
}

bool Daemon::release(const Request& r, const Choice& c) {
  try {
    Manager m(*bus_);
    auto [known, vrfs] = m.ReleaseSandbox(r.containerId, c.vrf);
    return known;
  } catch (const sdbus::Error& e) {
    throw fromBusError(e);
  }
}

}  // namespace netvrf::cni
