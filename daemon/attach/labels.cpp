#include "attach/labels.hpp"

#include <charconv>

namespace netvrf {
namespace {

[[noreturn]] void bad(const std::string& label, const std::string& value, const std::string& why) {
  throw LabelError("label " + label + "=" + value + ": " + why);
}

}  // namespace

std::optional<InsideRequest> attachFromLabels(const std::map<std::string, std::string>& labels) {
  auto vrf = labels.find(kVrfLabel);
  InsideRequest req;
  for (const auto& [label, value] : labels) {
    if (label.rfind("netvrf.", 0) != 0) continue;
    if (label == kVrfLabel) {
      if (auto e = ifnameError(value)) bad(label, value, *e);
      req.vrf = value;
    } else if (label == "netvrf.table") {
      uint64_t table = 0;
      auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), table);
      if (ec != std::errc() || end != value.data() + value.size())
        bad(label, value, "not a table number");
      if (auto e = tableError(table)) bad(label, value, *e);
      req.table = table;
    } else if (label == "netvrf.interfaces") {
      size_t start = 0;
      while (start <= value.size()) {
        size_t comma = value.find(',', start);
        std::string name = value.substr(start, comma == std::string::npos ? comma : comma - start);
        if (auto e = ifnameError(name)) bad(label, value, *e);
        req.interfaces.push_back(name);
        if (comma == std::string::npos) break;
        start = comma + 1;
      }
    } else if (label == "netvrf.strict") {
      if (value != "true" && value != "false") bad(label, value, "must be true or false");
      req.strict = value == "true";
    } else {
      bad(label, value,
          "unknown netvrf label (known: netvrf.vrf, netvrf.table, netvrf.interfaces, "
          "netvrf.strict)");
    }
  }
  if (vrf == labels.end()) {
    if (req.table || !req.interfaces.empty() || req.strict)
      throw LabelError("netvrf.* labels without netvrf.vrf: which VRF?");
    return std::nullopt;
  }
  return req;
}

}  // namespace netvrf
