#pragma once

#include <sys/types.h>

#include <string>
#include <string_view>

namespace netvrf {

// Replaces `path` with `text` so that a reader (or a crash) sees the old or the new content,
// never part of it: a temporary file beside it, fsync, rename. `mode` is set exactly, whatever
// the umask. The directory must exist. Throws std::system_error naming the file.
void writeFileAtomically(const std::string& path, std::string_view text, mode_t mode);

}  // namespace netvrf
