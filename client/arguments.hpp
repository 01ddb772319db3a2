#pragma once

// netvrfctl's command line, parsed into plain requests before anything talks to the bus: pure
// functions, so that they can be tested and fuzzed without netvrfd.
#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <variant>
#include <vector>

namespace netvrfctl {

// Wrong command-line arguments: netvrfctl prints "netvrfctl: VERB: what" and exits with 2.
class UsageError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

using Args = std::vector<std::string>;  // the verb's arguments, without the verb

// netvrfctl's own options stand anywhere; the first other word is the verb.
struct CommandLine {
  bool json = false;
  bool help = false;                // -h or --help
  std::optional<std::string> verb;  // none: no word besides the options
  Args args;
};
CommandLine parseCommandLine(const Args& argv);  // argv without the program name

uint32_t tableArg(const std::string& text);  // --table N; throws UsageError

// One request per verb; each parse function takes the verb's arguments and throws UsageError.
struct ListRequest {};
struct StatusRequest {
  std::string container;  // a name or an id prefix
};
struct DescribeRequest {};
struct ReloadRequest {};
struct RequestsRequest {};  // requests: what attach/detach stored
struct MonitorRequest {};

// attach CONTAINER --vrf NAME [--table N] [--interface IF]... [--strict] [--temporary]
// attach CONTAINER --vrf NAME --host --address CIDR... [--gateway IP]... [--table N]
//        [--temporary]
struct AttachRequest {
  bool temporary = false;  // this instance of the container only: not stored
  std::string container;
  std::string vrf;
  std::optional<uint32_t> table;
  std::vector<std::string> interfaces;
  bool strict = false;
  bool host = false;  // a veth leg into a host VRF, with these:
  std::vector<std::string> addresses;
  std::vector<std::string> gateways;
};

// detach CONTAINER [--vrf NAME]
struct DetachRequest {
  std::string container;
  std::string vrf;  // empty: every VRF netvrfd made, and the host leg
};

// vrf list | add NAME [--table N] | del NAME
struct VrfRequest {
  enum class Action { List, Add, Del } action = Action::List;
  std::string name;
  uint32_t table = 0;  // 0: one from the configured range
};

// netns ls | add NAME --pid PID | del NAME
struct NetnsRequest {
  enum class Action { List, Add, Del } action = Action::List;
  std::string name;
  uint32_t pid = 0;
};

// network list | attach NETWORK --vrf NAME [--table N] | detach NETWORK
struct NetworkRequest {
  enum class Action { List, Attach, Detach } action = Action::List;
  std::string network;
  std::string vrf;
  std::optional<uint32_t> table;
};

using Request =
    std::variant<ListRequest, StatusRequest, DescribeRequest, ReloadRequest, MonitorRequest,
                 AttachRequest, DetachRequest, VrfRequest, NetnsRequest, NetworkRequest,
                 RequestsRequest>;

ListRequest parseList(const Args& args);
StatusRequest parseStatus(const Args& args);
AttachRequest parseAttach(const Args& args);
DetachRequest parseDetach(const Args& args);
VrfRequest parseVrf(const Args& args);
NetnsRequest parseNetns(const Args& args);
NetworkRequest parseNetwork(const Args& args);
// Any verb; an unknown one, or arguments to a verb that takes none, is a UsageError too.
Request parseRequest(const std::string& verb, const Args& args);

}  // namespace netvrfctl
