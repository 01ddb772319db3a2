#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "common/printable.hpp"  // printableName, for the names these functions refuse

namespace netvrf {

// iproute2's rule for `ip netns add NAME`: not empty, at most NAME_MAX bytes, no '/', not "."
// or "..". Control characters are refused too: the name ends up in logs and terminals.
// Returns why `name` cannot be used, or nothing when it can.
std::optional<std::string> netnsNameError(std::string_view name);

struct TemplateValues {
  std::string_view name;  // the runtime's container name, without Docker's leading '/'
  std::string_view id;    // the full container id
  std::string_view ns = {};  // the runtime's namespace (containerd's); empty for Docker
};

// Replaces {name}, {id}, {shortid} (the first 12 characters of the id) and {ns}.
std::string expandTemplate(std::string_view tmpl, const TemplateValues& values);

// Why `tmpl` is not a usable template (an unknown or unclosed placeholder, a '/', no
// placeholder at all so every container would get the same name), or nothing when it is.
std::optional<std::string> templateError(std::string_view tmpl);

}  // namespace netvrf
