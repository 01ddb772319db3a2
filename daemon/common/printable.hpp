#pragma once

// Text from callers (names, arguments) as it may appear in one line of a log or an error.
// Shared by netvrfd and netvrfctl.
#include <string>
#include <string_view>

namespace netvrf {

// `name` as a log line or an error message may quote it: control characters escaped (\n, \t,
// \xNN) so the line stays one line, and past 64 bytes cut (at a character boundary) with "...",
// so a megabyte sent over the bus does not come back in the reply. Names given by callers are
// quoted through this before they are validated, and so may be anything.
std::string printableName(std::string_view name);

// Whether `text` is well-formed UTF-8 (what a D-Bus string must be): no stray continuation
// bytes, no overlong forms, no surrogates, nothing above U+10FFFF.
bool validUtf8(std::string_view text);

}  // namespace netvrf
