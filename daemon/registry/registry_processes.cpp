// The registry's plain processes: a namespace registered by name for a PID over the API (what
// `ip netns attach NAME PID` does, but removed when the process exits), and the netns listing.
#include "common/error.hpp"
#include "common/printable.hpp"
#include "netns/name.hpp"
#include "registry/netns_registry.hpp"

namespace netvrf {

namespace {
constexpr const char* kProcessRuntime = "process";

// Out of file descriptors (one pidfd per namespace) is its own condition, not a generic failure.
Refusal refusalFor(const std::system_error& e) {
  return isErrno(e, EMFILE) || isErrno(e, ENFILE) ? Refusal::LimitReached : Refusal::Failed;
}
}  // namespace

Found NetnsRegistry::registerProcess(const std::string& name, pid_t pid) {
  if (auto e = netnsNameError(name))
    return {"", Refusal::InvalidName, "namespace name '" + printableName(name) + "': " + *e};
  if (pid <= 0)
    return {"", Refusal::InvalidArgument, "PID " + std::to_string(pid) + " is not valid"};
  std::string key = keyOf(kProcessRuntime, name);
  if (auto it = entries_.find(name); it != entries_.end())
    return {"", Refusal::NameTaken,
            "namespace " + name + " is already registered, for " +
                describe(bindings_.at(it->second).info)};
  PinnedNetns pin;
  try {
    pin = pinNetns(pid, std::nullopt);
  } catch (const std::system_error& e) {
    if (isErrno(e, ESRCH)) return {"", Refusal::NoSuchProcess, "no process " + std::to_string(pid)};
    // pidfd_open() refuses a thread that does not lead its process: ENOENT, EINVAL before 6.9.
    if (isErrno(e, ENOENT) || isErrno(e, EINVAL))
      return {"", Refusal::InvalidArgument,
              "PID " + std::to_string(pid) + " is a thread, not a process"};
    // A process netvrfd may not look into (another user namespace's, or a hardened one).
    if (isErrno(e, EACCES) || isErrno(e, EPERM))
      return {"", Refusal::InvalidArgument,
              std::string("cannot open the namespace of ") + e.what()};
    return {"", refusalFor(e), std::string("cannot open the namespace of ") + e.what()};
  }
  if (pin.ns == hostNs_)
    return {"", Refusal::InvalidArgument,
            "process " + std::to_string(pid) + " is in the host's namespace: nothing to register"};
  Binding b;
  b.info = ContainerInfo{kProcessRuntime, name, name, {}, false, {}, {}, {}, {}};
  try {
    if (!claim(b, name, pin))
      return {"", Refusal::NameTaken,
              netnsDir_.pathOf(name) + " exists and netvrfd did not create it"};
  } catch (const std::system_error& e) {
    if (isErrno(e, ESRCH))
      return {"", Refusal::NoSuchProcess, "process " + std::to_string(pid) + " exited"};
    return {"", refusalFor(e), "cannot register " + netnsDir_.pathOf(name) + ": " + e.what()};
  }
  Binding& stored = bindings_[key] = std::move(b);
  watchExit(key, stored);
  setState(key, stored, BindingState::Registered,
           "registered as " + netnsDir_.pathOf(name) + " for PID " + std::to_string(pid) +
               " (asked over D-Bus)");
  changed();
  return {key, Refusal::None, ""};
}

Found NetnsRegistry::unregisterProcess(const std::string& name) {
  if (auto e = netnsNameError(name))
    return {"", Refusal::InvalidName, "namespace name '" + printableName(name) + "': " + *e};
  auto entry = entries_.find(name);
  if (entry == entries_.end()) {
    if (netnsDir_.probe(name).exists)
      return {"", Refusal::NotOwned,
              netnsDir_.pathOf(name) + " was not created by netvrfd; left alone"};
    return {"", Refusal::NoSuchNamespace, "no namespace " + name};
  }
  std::string key = entry->second;
  Binding& b = bindings_.at(key);
  if (b.info.runtime != kProcessRuntime)
    return {"", Refusal::NotOwned,
            "namespace " + name + " belongs to " + describe(b.info) +
                "; it goes when the container stops"};
  unregister(key, b, "asked over D-Bus");
  forget(bindings_.find(key));
  return {key, Refusal::None, ""};
}

std::vector<NetnsRegistry::NamespaceView> NetnsRegistry::namespaces() const {
  std::vector<NamespaceView> out;
  for (const auto& name : netnsDir_.list()) {
    NamespaceView v{name, "", "", 0};
    if (auto it = entries_.find(name); it != entries_.end()) {
      const Binding& b = bindings_.at(it->second);
      v.runtime = b.info.runtime;
      v.owner = b.info.name;
      v.pid = uint32_t(b.pin.pid);
    }
    out.push_back(std::move(v));
  }
  return out;
}

}  // namespace netvrf
