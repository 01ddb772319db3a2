#pragma once

// The D-Bus error names of org.netvrf1 (dbus/org.netvrf1.Manager.xml lists them): the one
// place that turns why something was refused or failed into what callers match on.

#include "manager.hpp"
#include "netlink/vrf.hpp"

namespace netvrf {

inline constexpr const char* kInvalidArgument = "org.netvrf1.Error.InvalidArgument";

const char* errorNameFor(Manager::Refusal why);
const char* errorNameFor(VrfError::Kind kind);

}  // namespace netvrf
