#pragma once

// The options a{sv} of AttachContainer and AttachSandbox, read and checked before anything is
// asked of the manager: a bad one is InvalidArgument (sdbus::Error) naming it.

#include <sdbus-c++/sdbus-c++.h>

#include <map>
#include <string>

#include "attach/jobs.hpp"

namespace netvrf {

// AttachContainer's options: inside (table, interfaces, strict) or, with "host", the leg.
struct AttachOptions {
  bool host = false;
  bool temporary = false;
  InsideRequest inside;
  HostSideRequest leg;
};

// Throws sdbus::Error(InvalidArgument) for a bad VRF name, option, type or value.
AttachOptions parseAttachOptions(const std::string& vrf,
                                 const std::map<std::string, sdbus::Variant>& options);

}  // namespace netvrf
