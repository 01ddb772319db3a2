// The registry's pod sandboxes: namespaces the CNI plugin hands over at ADD (it passes its open
// CNI_NETNS), followed without an entry of netvrfd's, until the plugin's DEL or until the
// runtime's path of the namespace is removed.
#include <linux/magic.h>
#include <linux/nsfs.h>
#include <sched.h>
#include <sys/epoll.h>
#include <sys/inotify.h>
#include <sys/ioctl.h>
#include <sys/statfs.h>
#include <unistd.h>

#include <cctype>
#include <cstring>
#include <filesystem>
#include <optional>

#include "common/error.hpp"
#include "common/log.hpp"
#include "common/printable.hpp"
#include "registry/netns_registry.hpp"

namespace netvrf {

namespace {

// Why `fd` is no network namespace, or nothing.
std::optional<std::string> notNetns(int fd) {
  struct statfs fs {};
  if (fstatfs(fd, &fs) < 0) return std::string("cannot stat it: ") + std::strerror(errno);
  if (fs.f_type != NSFS_MAGIC) return std::string("it is not a namespace");
  int type = ioctl(fd, NS_GET_NSTYPE);
  if (type < 0) return std::string("cannot read its type: ") + std::strerror(errno);
  if (type != CLONE_NEWNET) return std::string("it is not a network namespace");
  return std::nullopt;
}

// CNI container ids are made by runtimes: letters, digits and ._- (the spec's own rule).
bool validId(const std::string& id) {
  if (id.empty() || id.size() > 256) return false;
  for (char c : id)
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '_' && c != '.' && c != '-')
      return false;
  return true;
}

}  // namespace

Found NetnsRegistry::registerSandbox(const std::string& id, const std::string& name,
                                     const std::string& path, Fd netns, bool& fresh) {
  fresh = false;
  if (!validId(id))
    return {"", Refusal::InvalidArgument,
            "sandbox id '" + printableName(id) + "' is not a CNI container id"};
  if (auto why = notNetns(netns.get()))
    return {"", Refusal::InvalidArgument,
            "the namespace given for sandbox " + id + " is not usable: " + *why};
  NsIdentity ns = nsIdentityOfFd(netns.get());
  if (ns == hostNs_)
    return {"", Refusal::InvalidArgument,
            "sandbox " + id + " is in the host's namespace: nothing to attach there"};
  std::string key = keyOf(kSandboxRuntime, id);
  if (auto it = bindings_.find(key); it != bindings_.end()) {
    Binding& b = it->second;
    if (b.state == BindingState::Registered && b.pin.ns == ns) return {key, Refusal::None, ""};
    unregister(key, b, "an ADD came with another namespace");
    forget(it);
  }
  Binding& b = bindings_[key];
  b.info = ContainerInfo{
      kSandboxRuntime, id, name.empty() ? id.substr(0, 12) : name, {}, false, {}, {}, {}, {}};
  b.sandboxPath = path;
  b.pin.netns = std::move(netns);
  b.pin.ns = ns;
  fresh = true;
  if (events_.newInstance) events_.newInstance(key);
  watchSandboxPath(path);
  setState(key, b, BindingState::Registered,
           "followed from its CNI ADD, namespace " + printableName(path) + " (" + ns.str() + ")");
  if (events_.registered) events_.registered(key);
  changed();
  return {key, Refusal::None, ""};
}

bool NetnsRegistry::releaseSandbox(const std::string& id, const std::string& why) {
  auto it = bindings_.find(keyOf(kSandboxRuntime, id));
  if (it == bindings_.end()) return false;
  unregister(it->first, it->second, why);
  forget(it);
  return true;
}

// A runtime removes the path when it is done with the namespace, normally after the DEL. One
// inotify instance watches every directory such paths are in (a watch on a directory already
// watched is the same watch); a change there checks the sandboxes' paths.
void NetnsRegistry::watchSandboxPath(const std::string& path) {
  namespace fs = std::filesystem;
  if (path.empty() || path.front() != '/' || path.rfind("/proc/", 0) == 0) return;
  if (!sandboxInotify_) {
    sandboxInotify_ = Fd(inotify_init1(IN_NONBLOCK | IN_CLOEXEC));
    if (!sandboxInotify_) {
      log::warning(std::string("cannot watch sandboxes' namespaces: inotify: ") +
                   std::strerror(errno));
      return;
    }
    sandboxWatch_ =
        loop_.addIo(sandboxInotify_.get(), EPOLLIN, [this](uint32_t) { sandboxPathsChanged(); });
  }
  std::string dir = fs::path(path).parent_path();
  if (inotify_add_watch(sandboxInotify_.get(), dir.c_str(),
                        IN_DELETE | IN_MOVED_FROM | IN_DELETE_SELF | IN_MOVE_SELF) < 0)
    log::warning("cannot watch " + printableName(dir) +
                 " for sandboxes' namespaces: " + std::strerror(errno));
}

void NetnsRegistry::sandboxPathsChanged() {
  alignas(inotify_event) char buf[4096];
  while (read(sandboxInotify_.get(), buf, sizeof buf) > 0) {
  }
  for (auto it = bindings_.begin(); it != bindings_.end();) {
    Binding& b = it->second;
    bool gone = b.info.runtime == kSandboxRuntime && b.state == BindingState::Registered &&
                !b.sandboxPath.empty() && b.sandboxPath.front() == '/' &&
                b.sandboxPath.rfind("/proc/", 0) != 0 &&
                nsIdentityOfPath(b.sandboxPath) != std::optional<NsIdentity>(b.pin.ns);
    if (gone) {
      unregister(it->first, b,
                 printableName(b.sandboxPath) +
                     " no longer holds its namespace (removed "
                     "without a CNI DEL)");
      it = forget(it);
    } else {
      ++it;
    }
  }
}

}  // namespace netvrf
