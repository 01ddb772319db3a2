#include "attach/attach_worker.hpp"

#include "attach/interface_move.hpp"
#include "common/log.hpp"
#include "common/thread_name.hpp"
#include "firewall/iptables.hpp"
#include "netlink/in_netns.hpp"
#include "netlink/link.hpp"
#include "netlink/nl_handle.hpp"

namespace netvrf {

namespace {
template <typename T>
struct ValueOf;  // Then<T> -> T
template <typename T>
struct ValueOf<Then<T>> {
  using type = T;
};
}  // namespace

AttachWorker::AttachWorker(const VrfConfig& config, Post post,
                           std::function<void(const std::vector<HostVrf>&)> hostVrfs)
    : tables_(config.tableFile, config.rtTablesFile),
      range_{config.tableFirst, config.tableLast},
      post_(std::move(post)),
      hostVrfs_(std::move(hostVrfs)),
      thread_([this] {
        nameThisThread("nv-attach");
        loop();
      }) {}

AttachWorker::~AttachWorker() {
  jobs_.close();
  thread_.join();
}

void AttachWorker::submit(Job job) {
  jobs_.push(std::move(job));
}

void AttachWorker::loop() {
  while (auto next = jobs_.pop()) {
    std::function<void()> finish = std::visit(
        [this](auto& j) -> std::function<void()> {
          using Value = typename ValueOf<decltype(j.then)>::type;
          Done<Value> done;
          try {
            done.value = run(j);
          } catch (const VrfError& e) {
            done = Done<Value>::failed(e.what(), e.kind());
          } catch (const std::exception& e) {
            done = Done<Value>::failed(e.what());
          }
          return [then = std::move(j.then), done = std::move(done)]() mutable {
            if (then) then(std::move(done));
          };
        },
        *next);
    next.reset();  // a namespace the job held open is let go before the loop hears of it
    std::optional<std::vector<HostVrf>> vrfs;
    try {
      NlSocket host = connectRoute();  // this thread never leaves the host's namespace
      vrfs = listHostVrfs(host.get());
    } catch (const std::exception& e) {
      log::debug(std::string("cannot list the host's VRFs: ") + e.what());
    }
    post_([seen = hostVrfs_, vrfs = std::move(vrfs), finish = std::move(finish)] {
      if (vrfs && seen) seen(*vrfs);
      finish();
    });
  }
}

std::optional<uint64_t> AttachWorker::tableFor(nl_sock* sock, const std::string& vrf,
                                               std::optional<uint64_t> given, bool& handedOut) {
  handedOut = false;
  if (given || Vrfs(sock).find(vrf)) return given;  // an existing VRF keeps its own
  handedOut = !tables_.find(vrf);
  return tables_.allocate(vrf, range_, tablesInUse(sock));
}

// After an attach in a container: the routes that were lost with a VRF or an interface taken
// away behind netvrf's back go back (as far as they still can: best effort, said if not), and
// the routes now in the VRF's table are kept for the next time.
void AttachWorker::keepRoutes(nl_sock* sock, const job::Attach& j, job::Attach::Result& out) {
  uint32_t table = out.attached.vrf.table;
  const std::string& vrf = j.request.vrf;
  if (j.restore && !j.restore->empty()) {
    try {
      j.restore->addTo(sock, table, std::chrono::steady_clock::now() + kSettleTimeout);
      out.attached.routesMoved += j.restore->size();
    } catch (const std::exception& e) {
      log::warning(j.who + ": not every route of VRF " + vrf + " is back: " + e.what(),
                   {{"VRF", vrf}});
    }
  }
  try {
    std::map<int, std::string> names;
    for (const auto& i : out.attached.interfaces)
      if (auto link = findLink(sock, i)) names[link->ifindex] = i;
    out.routes = std::make_shared<const RouteSnapshot>(RouteSnapshot::take(sock, table, names));
  } catch (const std::exception& e) {
    log::debug(j.who + ": cannot keep the routes of VRF " + vrf + ": " + e.what());
  }
}

job::Attach::Result AttachWorker::run(job::Attach& j) {
  return runInNetns(j.netns.get(), [&] {
    NlSocket sock = connectRoute();
    InsideRequest req = j.request;
    bool handedOut = false;
    req.table = tableFor(sock.get(), req.vrf, req.table, handedOut);
    job::Attach::Result out;
    try {
      out.attached = attachInside(sock.get(), req, [&](const std::string& step) {
        log::debug(j.who + ": " + step, {{"VRF", req.vrf}});
      });
    } catch (...) {
      // A kernel without VRF support must not leave the table files changed.
      if (handedOut) tables_.release(req.vrf);
      throw;
    }
    if (j.container) keepRoutes(sock.get(), j, out);
    return out;
  });
}

InsideDetachResult AttachWorker::run(job::Detach& j) {
  return runInNetns(j.netns.get(), [&] {
    NlSocket sock = connectRoute();
    return detachInside(sock.get(), j.vrf,
                        [&](const std::string& step) { log::debug(j.who + ": " + step); });
  });
}

HostSideResult AttachWorker::run(job::AttachHost& j) {
  NlSocket host = connectRoute();
  HostSideRequest req = j.leg;
  bool handedOut = false;
  req.table = tableFor(host.get(), req.vrf, req.table, handedOut);
  try {
    return attachHostSide(host.get(), j.netns.get(), req, [&](const std::string& s) {
      log::debug(j.who + ": " + s, {{"VRF", req.vrf}});
    });
  } catch (...) {
    if (handedOut) tables_.release(req.vrf);
    throw;
  }
}

bool AttachWorker::run(job::DetachHost& j) {
  NlSocket host = connectRoute();
  return detachHostSide(host.get(), j.leg.hostIfname, j.leg.vrf);
}

CheckResult AttachWorker::run(job::Check& j) {
  return runInNetns(j.netns.get(), [&] {
    NlSocket sock = connectRoute();
    CheckResult found;
    auto vrf = Vrfs(sock.get()).find(j.vrf);
    found.vrf = vrf.has_value();
    for (const auto& name : j.interfaces) {
      auto link = findLink(sock.get(), name);
      if (!link)
        found.deleted.push_back(name);
      else if (vrf && link->master == vrf->ifindex)
        found.enslaved.push_back(name);
    }
    // Left as it is, what the VRF leaves behind would drop the namespace's traffic (and keep
    // its table from a new VRF).
    if (!vrf && j.table) clearDeletedVrf(sock.get(), uint32_t(*j.table), j.container);
    return found;
  });
}

bool AttachWorker::run(job::DeleteIfUnused& j) {
  NlSocket host = connectRoute();
  return deleteVrfIfUnused(host.get(), j.vrf);
}

bool AttachWorker::run(job::Release& j) {
  if (j.vrf.empty()) return false;  // in no VRF: nothing to do
  NlSocket host = connectRoute();
  return releaseFromHostVrf(host.get(), j.vrf, j.bridge);
}

bool AttachWorker::run(job::Firewall& j) {
  bool ipv4 = iptables_.apply(false, j.ipv4, j.full);
  bool ipv6 = iptables_.apply(true, j.ipv6, j.full);
  return ipv4 || ipv6;
}

std::vector<HostVrf> AttachWorker::run(job::ListVrfs&) {
  NlSocket host = connectRoute();
  return listHostVrfs(host.get());
}

HostVrf AttachWorker::run(job::CreateVrf& j) {
  if (auto e = ifnameError(j.vrf)) throw VrfError("VRF name '" + j.vrf + "': " + *e);
  NlSocket host = connectRoute();
  auto existing = Vrfs(host.get()).find(j.vrf);
  bool handedOut = false;
  auto table = tableFor(host.get(), j.vrf, j.table, handedOut);
  try {
    return addHostVrf(host.get(), j.vrf, table.value_or(existing ? existing->table : 0));
  } catch (...) {
    if (handedOut) tables_.release(j.vrf);
    throw;
  }
}

Nothing AttachWorker::run(job::DeleteVrf& j) {
  NlSocket host = connectRoute();
  deleteHostVrf(host.get(), j.vrf);
  return {};
}

}  // namespace netvrf
