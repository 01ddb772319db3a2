#include "arguments.hpp"

#include <climits>
#include <cstdint>
#include <cstdlib>
#include <optional>
#include <string>

#include "common/printable.hpp"

namespace netvrfctl {

CommandLine parseCommandLine(const Args& argv) {
  CommandLine cl;
  for (const auto& a : argv) {
    if (a == "--json")
      cl.json = true;
    else if (a == "-h" || a == "--help")
      cl.help = true;
    else if (!cl.verb)
      cl.verb = a;
    else
      cl.args.push_back(a);
  }
  return cl;
}

namespace {

// An argument as an error quotes it: one line, whatever it holds.
std::string shown(const std::string& arg) {
  return netvrf::printableName(arg);
}

// Plain decimal digits only, at most 4294967295: strtoul alone would take leading blanks and
// '+', and wrap " -N" around to a valid number.
std::optional<uint32_t> decimal32(const std::string& text) {
  if (text.empty() || text.size() > 10 ||
      text.find_first_not_of("0123456789") != std::string::npos)
    return std::nullopt;
  uint64_t n = std::stoull(text);
  if (n > UINT32_MAX) return std::nullopt;
  return uint32_t(n);
}

}  // namespace

uint32_t tableArg(const std::string& text) {
  auto n = decimal32(text);
  if (!n || *n == 0) throw UsageError("--table: '" + shown(text) + "' is not a table number");
  return *n;
}

ListRequest parseList(const Args& args) {
  if (!args.empty()) throw UsageError("unexpected '" + shown(args[0]) + "'");
  return {};
}

StatusRequest parseStatus(const Args& args) {
  if (args.size() != 1) throw UsageError("needs exactly one CONTAINER");
  return {args[0]};
}

AttachRequest parseAttach(const Args& args) {
  AttachRequest r;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    bool hasValue = i + 1 < args.size();
    if (a == "--vrf" && hasValue)
      r.vrf = args[++i];
    else if (a == "--table" && hasValue)
      r.table = tableArg(args[++i]);
    else if (a == "--interface" && hasValue)
      r.interfaces.push_back(args[++i]);
    else if (a == "--address" && hasValue)
      r.addresses.push_back(args[++i]);
    else if (a == "--gateway" && hasValue)
      r.gateways.push_back(args[++i]);
    else if (a == "--strict")
      r.strict = true;
    else if (a == "--host")
      r.host = true;
    else if (a == "--temporary")
      r.temporary = true;
    else if (a.rfind("--", 0) != 0 && r.container.empty())
      r.container = a;
    else
      throw UsageError("unexpected '" + shown(a) + "'");
  }
  if (r.container.empty() || r.vrf.empty()) throw UsageError("needs CONTAINER and --vrf NAME");
  if (!r.host && (!r.addresses.empty() || !r.gateways.empty()))
    throw UsageError("--address and --gateway are for --host");
  if (r.host && (!r.interfaces.empty() || r.strict))
    throw UsageError("--interface and --strict are not for --host");
  if (r.host && r.addresses.empty()) throw UsageError("--host needs --address CIDR");
  return r;
}

DetachRequest parseDetach(const Args& args) {
  DetachRequest r;
  for (size_t i = 0; i < args.size(); ++i) {
    if (args[i] == "--vrf" && i + 1 < args.size())
      r.vrf = args[++i];
    else if (args[i].rfind("--", 0) != 0 && r.container.empty())
      r.container = args[i];
    else
      throw UsageError("unexpected '" + shown(args[i]) + "'");
  }
  if (r.container.empty()) throw UsageError("needs CONTAINER");
  return r;
}

VrfRequest parseVrf(const Args& args) {
  VrfRequest r;  // List
  std::string sub = args.empty() ? "list" : args[0];
  if (sub == "list" && args.size() <= 1) return r;
  if (sub == "add" && (args.size() == 2 || (args.size() == 4 && args[2] == "--table"))) {
    r.action = VrfRequest::Action::Add;
    r.name = args[1];
    if (args.size() == 4) r.table = tableArg(args[3]);
    return r;
  }
  if (sub == "del" && args.size() == 2) {
    r.action = VrfRequest::Action::Del;
    r.name = args[1];
    return r;
  }
  throw UsageError("expects list, add NAME [--table N] or del NAME");
}

NetnsRequest parseNetns(const Args& args) {
  NetnsRequest r;  // List
  std::string sub = args.empty() ? "ls" : args[0];
  if ((sub == "ls" || sub == "list") && args.size() <= 1) return r;
  if (sub == "add" && args.size() == 4 && args[2] == "--pid") {
    auto n = decimal32(args[3]);
    if (!n || *n == 0) throw UsageError("--pid: '" + shown(args[3]) + "' is not a PID");
    r.action = NetnsRequest::Action::Add;
    r.name = args[1];
    r.pid = *n;
    return r;
  }
  if (sub == "del" && args.size() == 2) {
    r.action = NetnsRequest::Action::Del;
    r.name = args[1];
    return r;
  }
  throw UsageError("expects ls, add NAME --pid PID or del NAME");
}

NetworkRequest parseNetwork(const Args& args) {
  NetworkRequest r;  // List
  std::string sub = args.empty() ? "list" : args[0];
  if (sub == "list" && args.size() <= 1) return r;
  if (sub == "attach") {
    r.action = NetworkRequest::Action::Attach;
    for (size_t i = 1; i < args.size(); ++i) {
      if (args[i] == "--vrf" && i + 1 < args.size())
        r.vrf = args[++i];
      else if (args[i] == "--table" && i + 1 < args.size())
        r.table = tableArg(args[++i]);
      else if (args[i].rfind("--", 0) != 0 && r.network.empty())
        r.network = args[i];
      else
        throw UsageError("unexpected '" + shown(args[i]) + "'");
    }
    if (r.network.empty() || r.vrf.empty()) throw UsageError("attach needs NETWORK and --vrf NAME");
    return r;
  }
  if (sub == "detach" && args.size() == 2) {
    r.action = NetworkRequest::Action::Detach;
    r.network = args[1];
    return r;
  }
  throw UsageError("expects list, attach NETWORK --vrf NAME [--table N] or detach NETWORK");
}

Request parseRequest(const std::string& verb, const Args& args) {
  // Every word ends up in a D-Bus string, which must be UTF-8: refused here, with its position,
  // rather than by the bus library with a message about the message.
  for (size_t i = 0; i < args.size(); ++i)
    if (!netvrf::validUtf8(args[i]))
      throw UsageError("argument " + std::to_string(i + 1) + " is not valid UTF-8");
  if (!netvrf::validUtf8(verb)) throw UsageError("the command is not valid UTF-8");
  if (verb == "list") return parseList(args);
  if (verb == "status") return parseStatus(args);
  if (verb == "attach") return parseAttach(args);
  if (verb == "detach") return parseDetach(args);
  if (verb == "vrf") return parseVrf(args);
  if (verb == "netns") return parseNetns(args);
  if (verb == "network") return parseNetwork(args);
  if (args.empty()) {
    if (verb == "describe") return DescribeRequest{};
    if (verb == "reload") return ReloadRequest{};
    if (verb == "monitor") return MonitorRequest{};
    if (verb == "requests") return RequestsRequest{};
  }
  throw UsageError("unknown command or wrong arguments");
}

}  // namespace netvrfctl
