#include "plugin.hpp"

#include <fcntl.h>
#include <linux/magic.h>
#include <netlink/route/route.h>
#include <sys/file.h>
#include <sys/statfs.h>

#include <filesystem>

#include "attach/inside.hpp"
#include "common/fd.hpp"
#include "common/printable.hpp"
#include "delegate.hpp"
#include "netlink/address.hpp"
#include "netlink/in_netns.hpp"
#include "netlink/link.hpp"
#include "netlink/nl_error.hpp"
#include "netlink/nl_handle.hpp"
#include "netlink/rule.hpp"
#include "netlink/sysctl.hpp"
#include "netlink/tables.hpp"
#include "spec.hpp"

namespace netvrf::cni {

TableFiles tableFilesOf(const nlohmann::json& config) {
  TableFiles f;
  for (auto [key, field] : {std::pair{"table_file", &f.state}, {"rt_tables_file", &f.names}}) {
    auto it = config.find(key);
    if (it == config.end() || it->is_null()) continue;
    if (!it->is_string() || it->get<std::string>().empty())
      throw Error(kInvalidConfig, std::string(key) + " must be a file name");
    *field = it->get<std::string>();
  }
  return f;
}

namespace {

// The pod's namespace; nothing when it is gone (and `gone` says so): no file, or a file that is
// no namespace any more (an entry whose mount went with a reboot, which a runtime's DEL after
// the reboot must get past).
Fd openNetns(const std::string& path, bool& gone) {
  gone = false;
  Fd fd(open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd) {
    if (errno == ENOENT) {
      gone = true;
      return fd;
    }
    throw Error(kIoFailure, "cannot open " + printableName(path) + ": " + std::strerror(errno));
  }
  struct statfs fs {};
  if (fstatfs(fd.get(), &fs) < 0)
    throw Error(kIoFailure, "cannot stat " + printableName(path) + ": " + std::strerror(errno));
  if (fs.f_type != NSFS_MAGIC) {
    gone = true;
    return Fd();
  }
  return fd;
}

// The table files are shared by every plugin run at once (pods start in parallel): one at a
// time, under a lock beside them.
class TableLock {
 public:
  explicit TableLock(const std::string& stateFile) {
    std::error_code ec;
    std::filesystem::create_directories(std::filesystem::path(stateFile).parent_path(), ec);
    std::string path = stateFile + ".lock";
    fd_ = Fd(open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644));
    if (!fd_ || flock(fd_.get(), LOCK_EX) < 0)
      throw Error(kIoFailure, "cannot lock " + path + ": " + std::strerror(errno));
  }

 private:
  Fd fd_;
};

Error fromVrfError(const VrfError& e) {
  switch (e.kind()) {
    case VrfError::Kind::NotSupported:
      return Error(kNoVrfSupport, e.what());
    case VrfError::Kind::TableInUse:
      return Error(kTableTaken, e.what());
    case VrfError::Kind::Invalid:
      return Error(kInvalidConfig, e.what());
    default:
      return Error(kAttachFailed, e.what());
  }
}

template <typename F>
auto inNamespace(const Fd& ns, F&& work) {
  try {
    return runInNetns(ns.get(), std::forward<F>(work));
  } catch (const Error&) {
    throw;
  } catch (const VrfError& e) {
    throw fromVrfError(e);
  } catch (const std::exception& e) {
    throw Error(kAttachFailed, e.what());
  }
}

// netvrfd when the configuration's "daemon" lets it do the work and it runs; nothing otherwise.
// `must`: "required" and no netvrfd is an error (ADD); a DEL gets past a stopped netvrfd.
std::unique_ptr<Daemon> daemonFor(const Request& r, bool must) {
  DaemonUse use = daemonUseOf(r.config);
  if (use == DaemonUse::Never) return nullptr;
  std::string why;
  auto daemon = Daemon::find(why);
  if (!daemon && use == DaemonUse::Required && must)
    throw Error(kTryAgainLater, "netvrfd is not running (" + why +
                                    ") and the configuration says \"daemon\": \"required\"");
  return daemon;
}

std::string attachHere(const Request& r, const Choice& c, const Fd& ns);

nlohmann::json add(const Request& r, const Choice& c) {
  auto prev = r.config.find("prevResult");
  nlohmann::json result = prev != r.config.end() && !prev->is_null()
                              ? convertResult(*prev, r.version, r.version)
                              : nlohmann::json{{"cniVersion", r.version}};
  if (c.vrf.empty()) return result;  // nothing asked for: at the end of every chain, harmless
  bool gone = false;
  Fd ns = openNetns(r.netns, gone);
  if (gone)
    throw Error(kUnknownContainer, "the namespace " + printableName(r.netns) + " does not exist");
  std::string mac;
  if (auto daemon = daemonFor(r, true)) {  // netvrfd does the same, and follows the pod
    daemon->attach(r, c, ns);
    mac = inNamespace(ns, [&] {
      NlSocket sock = connectRoute();
      auto link = findLink(sock.get(), c.vrf);
      return link ? link->mac : std::string();
    });
  } else {
    mac = attachHere(r, c, ns);
  }
  nlohmann::json& interfaces = result["interfaces"];
  if (!interfaces.is_array()) interfaces = nlohmann::json::array();
  nlohmann::json entry{{"name", c.vrf}, {"sandbox", r.netns}};
  if (!mac.empty()) entry["mac"] = mac;
  interfaces.push_back(entry);  // last: the ips' "interface" indexes stay right
  return result;
}

// The attach done by the plugin itself; returns the VRF's MAC address.
std::string attachHere(const Request& r, const Choice& c, const Fd& ns) {
  TableFiles files = tableFilesOf(r.config);
  return inNamespace(ns, [&] {
    NlSocket sock = connectRoute();
    InsideRequest req{c.vrf, c.table, c.interfaces, c.strict, {}};
    bool handedOut = false;
    if (!req.table && !Vrfs(sock.get()).find(c.vrf)) {  // an existing VRF keeps its own
      // Held only while the files change, not through the attach: pods start in parallel.
      TableLock lock(files.state);
      TableMap tables(files.state, files.names);
      handedOut = !tables.find(c.vrf);
      req.table = tables.allocate(c.vrf, TableRange{}, tablesInUse(sock.get()));
    }
    try {
      InsideResult done = attachInside(sock.get(), req);
      auto link = findLink(sock.get(), done.vrf.ifindex);
      return link ? link->mac : std::string();
    } catch (...) {
      if (handedOut) {  // as if never asked
        TableLock lock(files.state);
        TableMap(files.state, files.names).release(c.vrf);
      }
      throw;
    }
  });
}

void del(const Request& r, const Choice& c) {
  if (c.vrf.empty()) return;  // nothing asked for
  // netvrfd followed it since its ADD: it detaches and stops following. Otherwise (no netvrfd,
  // or one that did not see the ADD) the plugin detaches itself.
  if (auto daemon = daemonFor(r, false); daemon && daemon->release(r, c)) return;
  if (r.netns.empty()) return;  // nothing left
  bool gone = false;
  Fd ns = openNetns(r.netns, gone);
  if (gone) return;
  // Nothing to detach (a second DEL, a failed ADD) is success.
  inNamespace(ns, [&] {
    NlSocket sock = connectRoute();
    detachInside(sock.get(), c.vrf);
  });
}

// A route of the result (dst "0.0.0.0/0", "2001:db8::/64") in `table`.
bool hasRoute(nl_sock* sock, uint32_t table, const std::string& dst) {
  NlAddr want = parseCidr(dst);
  int family = nl_addr_get_family(want.get());
  nl_cache* raw = nullptr;
  checkNl(rtnl_route_alloc_cache(sock, family, 0, &raw), "list routes");
  NlCache routes(raw);
  for (nl_object* o = nl_cache_get_first(routes.get()); o; o = nl_cache_get_next(o)) {
    auto* route = reinterpret_cast<rtnl_route*>(o);
    if (rtnl_route_get_table(route) != table) continue;
    nl_addr* have = rtnl_route_get_dst(route);
    unsigned len = have ? nl_addr_get_prefixlen(have) : 0;
    if (len != nl_addr_get_prefixlen(want.get())) continue;
    if (len == 0 || nl_addr_cmp_prefix(have, want.get()) == 0) return true;
  }
  return false;
}

void check(const Request& r, const Choice& c) {
  if (c.vrf.empty()) return;
  bool gone = false;
  Fd ns = openNetns(r.netns, gone);
  if (gone)
    throw Error(kUnknownContainer, "the namespace " + printableName(r.netns) + " does not exist");
  std::vector<std::string> dsts;
  if (auto prev = r.config.find("prevResult"); prev != r.config.end() && prev->is_object())
    if (auto routes = prev->find("routes"); routes != prev->end() && routes->is_array())
      for (const auto& route : *routes)
        if (route.is_object() && route.contains("dst") && route["dst"].is_string())
          dsts.push_back(route["dst"].get<std::string>());
  inNamespace(ns, [&] {
    NlSocket sock = connectRoute();
    auto vrf = Vrfs(sock.get()).find(c.vrf);
    if (!vrf) throw Error(kNotAttached, "VRF " + c.vrf + " is not in " + printableName(r.netns));
    if (c.table && vrf->table != *c.table)
      throw Error(kNotAttached, "VRF " + c.vrf + " has table " + std::to_string(vrf->table) +
                                    ", not " + std::to_string(*c.table));
    for (const auto& name : c.interfaces) {
      auto link = findLink(sock.get(), name);
      if (!link)
        throw Error(kNotAttached, "no interface " + name + " in " + printableName(r.netns));
      if (link->master != vrf->ifindex)
        throw Error(kNotAttached, name + " is not enslaved to VRF " + c.vrf);
    }
    if (!c.strict) {
      if (lookupRuleTable(sock.get(), kUnboundRulePref) != vrf->table)
        throw Error(kNotAttached, "no rule sends unbound sockets' lookups to table " +
                                      std::to_string(vrf->table));
      for (const char* key : kAcceptSysctls)
        if (readSysctl(key).value_or("0") != "1")
          throw Error(kNotAttached, std::string(key) + " is not 1");
    }
    for (const auto& dst : dsts)
      if (!hasRoute(sock.get(), vrf->table, dst))
        throw Error(kNotAttached, "the route to " + dst + " is not in VRF " + c.vrf + "'s table " +
                                      std::to_string(vrf->table));
  });
}

}  // namespace

std::optional<nlohmann::json> run(const Request& r) {
  if (r.command == "VERSION") return versionJson(r.version);
  Choice c = choose(r);
  if (r.command == "ADD") return add(r, c);
  if (r.command == "DEL")
    del(r, c);
  else
    check(r, c);
  return std::nullopt;
}

}  // namespace netvrf::cni
