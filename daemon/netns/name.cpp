#include "netns/name.hpp"

#include <climits>
#include <cstdio>

namespace netvrf {
namespace {

constexpr std::string_view kPlaceholders[] = {"{name}", "{id}", "{shortid}", "{ns}"};

}  // namespace

std::optional<std::string> netnsNameError(std::string_view name) {
  if (name.empty()) return "the name is empty";
  if (name.size() > NAME_MAX)
    return "the name is " + std::to_string(name.size()) + " bytes long (at most " +
           std::to_string(NAME_MAX) + ")";
  if (name == "." || name == "..") return "the name '" + std::string(name) + "' is reserved";
  for (unsigned char ch : name) {
    if (ch == '/') return "the name contains '/'";
    if (ch < 0x20 || ch == 0x7f) return "the name contains a control character";
  }
  return std::nullopt;
}

std::string expandTemplate(std::string_view tmpl, const TemplateValues& values) {
  std::string out;
  out.reserve(tmpl.size() + values.name.size() + values.id.size());
  for (size_t i = 0; i < tmpl.size();) {
    auto rest = tmpl.substr(i);
    if (rest.starts_with("{name}")) {
      out += values.name;
      i += 6;
    } else if (rest.starts_with("{id}")) {
      out += values.id;
      i += 4;
    } else if (rest.starts_with("{ns}")) {
      out += values.ns;
      i += 4;
    } else if (rest.starts_with("{shortid}")) {
      out += values.id.substr(0, 12);
      i += 9;
    } else {
      out += tmpl[i++];
    }
  }
  return out;
}

std::optional<std::string> templateError(std::string_view tmpl) {
  bool hasPlaceholder = false;
  for (size_t i = 0; i < tmpl.size(); ++i) {
    if (tmpl[i] == '/') return "must not contain '/'";
    if (tmpl[i] != '{') continue;
    bool known = false;
    for (auto p : kPlaceholders) {
      if (tmpl.substr(i).starts_with(p)) {
        known = true;
        hasPlaceholder |= p != "{ns}";  // a namespace alone names every container alike
        i += p.size() - 1;
        break;
      }
    }
    if (!known) {
      auto end = tmpl.find('}', i);
      auto what = end == std::string_view::npos ? tmpl.substr(i) : tmpl.substr(i, end - i + 1);
      return "has an unknown placeholder '" + std::string(what) +
             "' (known: {name}, {id}, {shortid}, {ns})";
    }
  }
  if (!hasPlaceholder) return "must contain {name}, {id} or {shortid}";
  return std::nullopt;
}

}  // namespace netvrf
