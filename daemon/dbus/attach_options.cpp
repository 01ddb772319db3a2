#include "dbus/attach_options.hpp"

#include <set>

#include "attach/host_side.hpp"
#include "common/printable.hpp"
#include "dbus/error_names.hpp"
#include "netlink/tables.hpp"
#include "netns/name.hpp"

namespace netvrf {

AttachOptions parseAttachOptions(const std::string& vrf,
                                 const std::map<std::string, sdbus::Variant>& options) {
  AttachOptions o;
  o.inside.vrf = o.leg.vrf = vrf;
  if (auto e = ifnameError(vrf))
    throw sdbus::Error(kInvalidArgument, "VRF '" + printableName(vrf) + "': " + *e);
  std::set<std::string> given;
  for (const auto& [key, value] : options) {
    given.insert(key);
    try {
      if (key == "table") {
        uint32_t t = value.get<uint32_t>();
        if (auto e = tableError(t)) throw sdbus::Error(kInvalidArgument, *e);
        o.inside.table = o.leg.table = t;
      } else if (key == "interfaces") {
        o.inside.interfaces = value.get<std::vector<std::string>>();
        for (const auto& i : o.inside.interfaces)
          if (auto e = ifnameError(i))
            throw sdbus::Error(kInvalidArgument, "'" + printableName(i) + "': " + *e);
      } else if (key == "strict") {
        o.inside.strict = value.get<bool>();
      } else if (key == "host") {
        o.host = value.get<bool>();
      } else if (key == "temporary") {
        o.temporary = value.get<bool>();
      } else if (key == "addresses") {
        o.leg.addresses = value.get<std::vector<std::string>>();
      } else if (key == "gateways") {
        o.leg.gateways = value.get<std::vector<std::string>>();
      } else {
        throw sdbus::Error(kInvalidArgument,
                           "unknown option '" + printableName(key) +
                               "' (known: table, interfaces, strict, host, addresses, "
                               "gateways, temporary)");
      }
    } catch (const sdbus::Error& e) {
      if (e.getName() == kInvalidArgument) throw;
      throw sdbus::Error(kInvalidArgument,
                         "option '" + printableName(key) + "' has the wrong type");
    }
  }
  const char* insideOnly[] = {"interfaces", "strict"};
  const char* hostOnly[] = {"addresses", "gateways"};
  for (const char* k : o.host ? insideOnly : hostOnly)
    if (given.count(k))
      throw sdbus::Error(kInvalidArgument, std::string("option '") + k + "' needs host " +
                                               (o.host ? "false" : "true"));
  if (o.host && o.leg.addresses.empty())
    throw sdbus::Error(kInvalidArgument,
                       "a host leg needs 'addresses' (the container end's CIDRs)");
  // Checked before the request is queued: the worker would find a bad one only after the leg
  // was recorded and a table handed out.
  if (o.host)
    if (auto e = hostSideAddressError(o.leg)) throw sdbus::Error(kInvalidArgument, *e);
  return o;
}

}  // namespace netvrf
