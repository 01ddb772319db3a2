#include "common/printable.hpp"

#include <cstdint>
#include <cstdio>

namespace netvrf {

std::string printableName(std::string_view name) {
  constexpr size_t kShown = 64;
  size_t cut = name.size();
  if (cut > kShown) {
    cut = kShown;
    while (cut > 0 && (static_cast<unsigned char>(name[cut]) & 0xc0) == 0x80) --cut;
  }
  std::string out;
  out.reserve(cut + 8);
  for (unsigned char ch : name.substr(0, cut)) {
    if (ch == '\n') {
      out += "\\n";
    } else if (ch == '\t') {
      out += "\\t";
    } else if (ch < 0x20 || ch == 0x7f) {
      char hex[5];
      std::snprintf(hex, sizeof hex, "\\x%02x", ch);
      out += hex;
    } else {
      out += char(ch);
    }
  }
  if (cut < name.size()) out += "...";
  return out;
}

bool validUtf8(std::string_view text) {
  static constexpr uint32_t kSmallest[] = {0, 0x80, 0x800, 0x10000};  // by continuation bytes
  for (size_t i = 0; i < text.size();) {
    unsigned char lead = text[i];
    size_t more = lead < 0x80             ? 0
                  : (lead & 0xe0) == 0xc0 ? 1
                  : (lead & 0xf0) == 0xe0 ? 2
                  : (lead & 0xf8) == 0xf0 ? 3
                                          : 4;  // a continuation byte, or no UTF-8 lead at all
    if (more == 4 || more >= text.size() - i) {
      if (more != 0) return false;
    }
    uint32_t cp = more == 0 ? lead : lead & (0x3f >> more);
    for (size_t k = 1; k <= more; ++k) {
      unsigned char next = text[i + k];
      if ((next & 0xc0) != 0x80) return false;
      cp = (cp << 6) | (next & 0x3f);
    }
    if (cp < kSmallest[more] || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return false;
    i += more + 1;
  }
  return true;
}

}  // namespace netvrf
