#pragma once

// Handing the plugin's work to a running netvrfd over D-Bus (AttachSandbox, ReleaseSandbox), so
// that pods show in `netvrfctl list`, are followed for changes behind netvrf's back and get
// netvrfd's table allocation; the configuration's "daemon" says whether to.

#include <nlohmann/json.hpp>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "common/fd.hpp"
#include "request.hpp"

namespace sdbus {
class IConnection;
}

namespace netvrf::cni {

// "daemon": "required" (fail with code 11 when netvrfd is not running), "preferred" (the
// default: netvrfd when it runs, the plugin itself otherwise), "never".
enum class DaemonUse { Required, Preferred, Never };
// Throws Error(kInvalidConfig).
DaemonUse daemonUseOf(const nlohmann::json& config);

// The pod's name as netvrfd shows it: "<namespace>_<pod>" from CNI_ARGS K8S_POD_NAMESPACE and
// K8S_POD_NAME, as netvrfd names containerd's pods; empty when they are not given.
std::string podNameOf(const Request& r);

// netvrfd on the system bus (DBUS_SYSTEM_BUS_ADDRESS, if set).
class Daemon {
 public:
  // The running netvrfd, or nothing when there is none, with why in `why`.
  static std::unique_ptr<Daemon> find(std::string& why);
  ~Daemon();

  struct Attached {
    std::vector<std::string> interfaces;
    uint32_t table = 0;
  };
  // ADD: throws Error with the code the D-Bus error maps to (NotSupported 100, TableInUse 101,
  // InvalidArgument 7, a lost daemon or a timeout 11, others 102).
  Attached attach(const Request& r, const Choice& c, const Fd& netns);
  // DEL: false when netvrfd did not follow the sandbox (it did not see its ADD).
  bool release(const Request& r, const Choice& c);

 private:
  explicit Daemon(std::unique_ptr<sdbus::IConnection> bus);
  std::unique_ptr<sdbus::IConnection> bus_;
};

}  // namespace netvrf::cni
