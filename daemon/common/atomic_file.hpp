#pragma once

#include <sys/types.h>

#include <string>
#include <string_view>

namespace netvrf {

// How long what a file says must last.
enum class Durability {
  kAcrossReboots,  // fsync before the rename: it survives a power loss (stored requests, tables)
  kThisBoot,       // no fsync: it describes kernel state (a mount) that a power loss takes too
};

// Replaces `path` with `text` so that a reader (or netvrfd's own crash) sees the old or the new
// content, never part of it: a temporary file beside it, then rename (after an fsync for
// kAcrossReboots). `mode` is set exactly, whatever the umask. The directory must exist. Throws
// std::system_error naming the file.
void writeFileAtomically(const std::string& path, std::string_view text, mode_t mode,
                         Durability durability = Durability::kAcrossReboots);

}  // namespace netvrf
