#include "attach/attach_worker.hpp"

#include "attach/interface_move.hpp"
#include "common/log.hpp"
#include "netlink/in_netns.hpp"
#include "netlink/link.hpp"
#include "netlink/nl_handle.hpp"

namespace netvrf {

AttachWorker::AttachWorker(const VrfConfig& config, std::function<void(AttachOutcome)> done)
    : tables_(config.tableFile, config.rtTablesFile),
      range_{config.tableFirst, config.tableLast},
      done_(std::move(done)),
      thread_([this] { loop(); }) {}

AttachWorker::~AttachWorker() {
  jobs_.close();
  thread_.join();
}

void AttachWorker::submit(AttachJob job) {
  jobs_.push(std::move(job));
}

void AttachWorker::loop() {
  while (auto job = jobs_.pop()) {
    AttachOutcome out = runJob(*job);
    try {
      NlSocket host = connectRoute();  // this thread never leaves the host's namespace
      out.hostVrfs = listHostVrfs(host.get());
    } catch (const std::exception& e) {
      log::debug(std::string("cannot list the host's VRFs: ") + e.what());
    }
    done_(std::move(out));
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
void AttachWorker::keepRoutes(nl_sock* sock, const AttachJob& job, AttachOutcome& out) {
  uint32_t table = out.result->vrf.table;
  if (job.restore && !job.restore->empty()) {
    try {
      job.restore->addTo(sock, table, std::chrono::steady_clock::now() + kSettleTimeout);
      out.result->routesMoved += job.restore->size();
    } catch (const std::exception& e) {
      log::warning(job.who + ": not every route of VRF " + out.vrf + " is back: " + e.what(),
                   {{"VRF", out.vrf}});
    }
  }
  try {
    std::map<int, std::string> names;
    for (const auto& i : out.result->interfaces)
      if (auto link = findLink(sock, i)) names[link->ifindex] = i;
    out.vrfRoutes = std::make_shared<const RouteSnapshot>(RouteSnapshot::take(sock, table, names));
  } catch (const std::exception& e) {
    log::debug(job.who + ": cannot keep the routes of VRF " + out.vrf + ": " + e.what());
  }
}

AttachOutcome AttachWorker::runJob(AttachJob& job) {
  AttachOutcome out;
  out.key = job.key;
  out.pid = job.pid;
  out.vrf = job.request.vrf;
  out.kind = job.kind;
  out.ticket = job.ticket;
  try {
    if (job.kind == AttachJob::Kind::ListVrfs) return out;
    if (job.kind == AttachJob::Kind::Release) {
      if (job.request.vrf.empty()) return out;  // in no VRF: nothing to do
      NlSocket host = connectRoute();
      out.deleted = releaseFromHostVrf(host.get(), job.request.vrf, job.request.interfaces.at(0));
      return out;
    }
    if (job.kind == AttachJob::Kind::CreateVrf || job.kind == AttachJob::Kind::DeleteVrf) {
      NlSocket host = connectRoute();
      if (job.kind == AttachJob::Kind::DeleteVrf) {
        deleteHostVrf(host.get(), job.request.vrf);
        return out;
      }
      if (auto e = ifnameError(job.request.vrf))
        throw VrfError("VRF name '" + job.request.vrf + "': " + *e);
      auto existing = Vrfs(host.get()).find(job.request.vrf);
      bool handedOut = false;
      auto table = tableFor(host.get(), job.request.vrf, job.request.table, handedOut);
      try {
        out.vrfAdded =
            addHostVrf(host.get(), job.request.vrf, table.value_or(existing ? existing->table : 0));
      } catch (...) {
        // A kernel without VRF support must not leave the table files changed.
        if (handedOut) tables_.release(job.request.vrf);
        throw;
      }
      return out;
    }
    if (job.kind == AttachJob::Kind::AttachHost || job.kind == AttachJob::Kind::DetachHost) {
      out.vrf = job.host.vrf;
      NlSocket host = connectRoute();  // this thread never leaves the host's namespace
      if (job.kind == AttachJob::Kind::DetachHost) {
        out.deleted = detachHostSide(host.get(), job.host.hostIfname, job.host.vrf);
        return out;
      }
      HostSideRequest req = job.host;
      bool handedOut = false;
      req.table = tableFor(host.get(), req.vrf, req.table, handedOut);
      try {
        out.hostResult =
            attachHostSide(host.get(), job.netns.get(), req, [&](const std::string& s) {
              log::debug(job.who + ": " + s, {{"VRF", req.vrf}});
            });
      } catch (...) {
        if (handedOut) tables_.release(req.vrf);
        throw;
      }
      return out;
    }
    runInNetns(job.netns.get(), [&] {
      NlSocket sock = connectRoute();
      if (job.kind == AttachJob::Kind::Detach) {
        std::optional<std::string> vrf;
        if (!job.request.vrf.empty()) vrf = job.request.vrf;
        out.detachResult = detachInside(
            sock.get(), vrf, [&](const std::string& step) { log::debug(job.who + ": " + step); });
        return;
      }
      if (job.kind == AttachJob::Kind::Check) {
        CheckResult found;
        auto vrf = Vrfs(sock.get()).find(job.request.vrf);
        found.vrf = vrf.has_value();
        for (const auto& name : job.request.interfaces)
          if (auto link = findLink(sock.get(), name); vrf && link && link->master == vrf->ifindex)
            found.enslaved.push_back(name);
        // Left as it is, what the VRF leaves behind would drop the namespace's traffic (and
        // keep its table from a new VRF).
        if (!vrf && job.request.table)
          clearDeletedVrf(sock.get(), uint32_t(*job.request.table), job.pid != 0);
        out.check = std::move(found);
        return;
      }
      if (job.kind == AttachJob::Kind::DeleteIfUnused) {
        out.deleted = deleteVrfIfUnused(sock.get(), job.request.vrf);
        return;
      }
      InsideRequest req = job.request;
      bool handedOut = false;
      req.table = tableFor(sock.get(), req.vrf, req.table, handedOut);
      try {
        out.result = attachInside(sock.get(), req, [&](const std::string& step) {
          log::debug(job.who + ": " + step, {{"VRF", req.vrf}});
        });
      } catch (...) {
        if (handedOut) tables_.release(req.vrf);
        throw;
      }
      if (job.pid != 0) keepRoutes(sock.get(), job, out);
    });
  } catch (const VrfError& e) {
    out.error = e.what();
    out.errorKind = e.kind();
  } catch (const std::exception& e) {
    out.error = e.what();
  }
  return out;
}

}  // namespace netvrf
