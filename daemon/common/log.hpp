#pragma once

#include <syslog.h>

#include <source_location>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace netvrf::log {

// Structured fields, e.g. {{"CONTAINER_ID", id}, {"NETNS", name}}: journald indexes them, so
// `journalctl NETNS=web1` shows one namespace's history.
using Fields = std::vector<std::pair<std::string_view, std::string>>;

enum class Target {
  Auto,     // journal when stderr is connected to journald (JOURNAL_STREAM), else stderr
  Stderr,   // plain lines, for foreground runs and tests
  Journal,  // sd_journal_sendv with the caller's file, line and function
};

void init(Target target, int maxPriority);
int parsePriority(std::string_view level);  // "debug", "info", ...; -1 when unknown

void write(int priority, std::string_view message, const Fields& fields,
           const std::source_location& where);

// The source_location default argument makes file and line those of the caller, which is what
// a macro would give, without the macro.
inline void error(std::string_view m, const Fields& f = {},
                  const std::source_location& w = std::source_location::current()) {
  write(LOG_ERR, m, f, w);
}
inline void warning(std::string_view m, const Fields& f = {},
                    const std::source_location& w = std::source_location::current()) {
  write(LOG_WARNING, m, f, w);
}
inline void notice(std::string_view m, const Fields& f = {},
                   const std::source_location& w = std::source_location::current()) {
  write(LOG_NOTICE, m, f, w);
}
inline void info(std::string_view m, const Fields& f = {},
                 const std::source_location& w = std::source_location::current()) {
  write(LOG_INFO, m, f, w);
}
inline void debug(std::string_view m, const Fields& f = {},
                  const std::source_location& w = std::source_location::current()) {
  write(LOG_DEBUG, m, f, w);
}

}  // namespace netvrf::log
