// The manager's pod sandboxes (runtime "cni"): what the CNI plugin hands over at ADD is followed
// (NetnsRegistry::registerSandbox), attached as a temporary request of that instance, recorded
// (targets/sandbox_store.hpp) so that a restarted netvrfd follows it again, and let go at DEL.
#include <fcntl.h>

#include "common/log.hpp"
#include "manager.hpp"

namespace netvrf {

namespace {

const std::string kSandboxPrefix = std::string(NetnsRegistry::kSandboxRuntime) + "/";

StoredRequest sandboxRequest(const std::string& id, StoredRequest::Part part) {
  StoredRequest r;
  r.runtime = NetnsRegistry::kSandboxRuntime;
  r.name = id;
  r.part = part;
  return r;
}

}  // namespace

template <typename Result>
Found Manager::addSandbox(SandboxAdd add, StoredRequest want,
                          const std::function<void(const std::string&, Then<Result>)>& attach,
                          Then<Result> reply) {
  bool fresh = false;
  std::string id = add.id;
  Found found = registry_.registerSandbox(id, add.name, add.path, std::move(add.netns), fresh);
  if (found.key.empty()) return found;
  try {
    attach(found.key, [this, id, fresh, want, reply](Done<Result> d) {
      sandboxAttached(id, fresh, want, bool(d));
      reply(std::move(d));
    });
  } catch (...) {
    sandboxAttached(id, fresh, want, false);
    throw;
  }
  return found;
}

Found Manager::attachSandbox(SandboxAdd add, InsideRequest req, Then<InsideResult> reply) {
  StoredRequest want = sandboxRequest(add.id, StoredRequest::Part::Inside);
  want.inside = req;
  return addSandbox<InsideResult>(
      std::move(add), std::move(want),
      [&](const std::string& key, Then<InsideResult> then) {
        requestAttach(key, std::move(req), true, std::move(then));
      },
      std::move(reply));
}

Found Manager::attachSandboxHost(SandboxAdd add, HostSideRequest req, Then<HostSideResult> reply) {
  StoredRequest want = sandboxRequest(add.id, StoredRequest::Part::Host);
  want.host = req;
  return addSandbox<HostSideResult>(
      std::move(add), std::move(want),
      [&](const std::string& key, Then<HostSideResult> then) {
        requestAttachHost(key, std::move(req), true, std::move(then));
      },
      std::move(reply));
}

void Manager::sandboxAttached(const std::string& id, bool fresh, const StoredRequest& want,
                              bool ok) {
  std::string key = NetnsRegistry::keyOf(NetnsRegistry::kSandboxRuntime, id);
  const Binding* b = registry_.find(key);
  if (!ok) {
    // A failed ADD leaves nothing behind: the runtime tears the sandbox down.
    if (fresh) registry_.releaseSandbox(id, "its CNI ADD failed");
    return;
  }
  if (!b || b->state != BindingState::Registered) return;  // its DEL came first
  try {
    sandboxes_.save({id, b->info.name, b->sandboxPath, b->pin.ns, want});
  } catch (const std::exception& e) {
    // It is attached and followed; only a restart of netvrfd loses it (its DEL still works).
    log::warning("sandbox " + id + " (" + b->info.name +
                 "): cannot record it for a restart of netvrfd: " + e.what());
  }
}

void Manager::sandboxForgotten(const std::string& key) {
  // netvrfd stopping with cleanup_on_exit removes its entries, not the pods' records.
  if (stopping_ || key.rfind(kSandboxPrefix, 0) != 0) return;
  removeSandboxRecord(key.substr(kSandboxPrefix.size()));
}

void Manager::removeSandboxRecord(const std::string& id) {
  try {
    sandboxes_.remove(id);
  } catch (const std::exception& e) {
    log::warning("sandbox " + id + ": " + e.what());
  }
}

void Manager::restoreSandboxes() {
  std::vector<std::string> errors;
  std::vector<SandboxRecord> records = sandboxes_.loadAll(errors);
  for (const auto& e : errors) log::warning("a sandbox's record: " + e);
  for (auto& r : records) {
    std::string what = "sandbox " + r.id + " (" + r.name + ")";
    Fd netns(open(r.path.c_str(), O_RDONLY | O_CLOEXEC));
    std::optional<NsIdentity> ns;
    if (netns) {
      try {
        ns = nsIdentityOfFd(netns.get());
      } catch (const std::exception&) {
      }
    }
    if (ns != std::optional<NsIdentity>(r.ns)) {
      log::info(what + ": " + r.path + " no longer holds its namespace; forgotten");
      removeSandboxRecord(r.id);
      continue;
    }
    bool fresh = false;
    Found found = registry_.registerSandbox(r.id, r.name, r.path, std::move(netns), fresh);
    if (found.key.empty()) {
      log::warning(what + ": cannot follow it again: " + found.error);
      removeSandboxRecord(r.id);
      continue;
    }
    log::info(what + ": followed again after netvrfd's restart; attaching to VRF " +
              r.request.vrf() + " again");
    auto failed = [what](const std::string& error) {
      log::warning(what + ": attaching again after netvrfd's restart failed: " + error);
    };
    try {
      if (r.request.part == StoredRequest::Part::Inside)
        requestAttach(found.key, r.request.inside, true, [failed](Done<InsideResult> d) {
          if (!d) failed(d.error);
        });
      else
        requestAttachHost(found.key, r.request.host, true, [failed](Done<HostSideResult> d) {
          if (!d) failed(d.error);
        });
    } catch (const std::exception& e) {
      failed(e.what());
    }
  }
}

// Its DEL.
void Manager::releaseSandbox(const std::string& id, const std::string& vrf,
                             Then<SandboxReleased> reply) {
  std::string key = NetnsRegistry::keyOf(NetnsRegistry::kSandboxRuntime, id);
  const Binding* b = registry_.find(key);
  if (!b || b->state != BindingState::Registered) {
    reply(Done<SandboxReleased>{SandboxReleased{}, "", {}});
    return;
  }
  Target* t = attachments_.find(key);
  auto release = [this, id, reply](std::vector<std::string> left) {
    registry_.releaseSandbox(id, "its CNI DEL");
    reply(Done<SandboxReleased>{SandboxReleased{true, std::move(left)}, "", {}});
  };
  bool inside = t && (t->attach != AttachState::None || !t->interfaceParts.empty());
  if (!inside || !worker_) {
    release({});  // a host leg goes with it (unregistered())
    return;
  }
  attachments_.detach(key, *t, registry_.openEntry(*b),
                      vrf.empty() ? std::nullopt : std::optional<std::string>(vrf),
                      [release, reply](Done<InsideDetachResult> d) {
                        if (d)
                          release(d.value->vrfs);
                        else
                          reply(Done<SandboxReleased>::failed(d.error, d.errorKind));
                      });
}

}  // namespace netvrf
