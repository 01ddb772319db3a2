#include "common/log.hpp"

#include <sys/stat.h>
#include <sys/uio.h>
#include <systemd/sd-journal.h>

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <mutex>

namespace netvrf::log {
namespace {

std::atomic<bool> useJournal{false};
std::atomic<int> maxPrio{LOG_INFO};
std::mutex stderrMutex;

// systemd sets JOURNAL_STREAM to "dev:ino" of the stream it connected to stderr; only when that
// still is our stderr are we talking to journald (a shell redirect would change it).
bool stderrIsJournal() {
  const char* env = std::getenv("JOURNAL_STREAM");
  if (!env) return false;
  unsigned long long dev = 0, ino = 0;
  if (std::sscanf(env, "%llu:%llu", &dev, &ino) != 2) return false;
  struct stat st {};
  if (fstat(STDERR_FILENO, &st) < 0) return false;
  return st.st_dev == dev && st.st_ino == ino;
}

const char* prefixFor(int priority) {
  switch (priority) {
    case LOG_EMERG:
    case LOG_ALERT:
    case LOG_CRIT:
    case LOG_ERR:
      return "error: ";
    case LOG_WARNING:
      return "warning: ";
    case LOG_DEBUG:
      return "debug: ";
    default:
      return "";
  }
}

}  // namespace

void init(Target target, int maxPriority) {
  maxPrio = maxPriority;
  useJournal = target == Target::Journal || (target == Target::Auto && stderrIsJournal());
}

int parsePriority(std::string_view level) {
  if (level == "error") return LOG_ERR;
  if (level == "warning") return LOG_WARNING;
  if (level == "notice") return LOG_NOTICE;
  if (level == "info") return LOG_INFO;
  if (level == "debug") return LOG_DEBUG;
  return -1;
}

void write(int priority, std::string_view message, const Fields& fields,
           const std::source_location& where) {
  if (priority > maxPrio) return;
  if (!useJournal) {
    std::lock_guard lock(stderrMutex);
    std::fprintf(stderr, "netvrfd: %s%.*s\n", prefixFor(priority), int(message.size()),
                 message.data());
    return;
  }
  std::vector<std::string> lines;
  lines.reserve(fields.size() + 6);
  lines.push_back("MESSAGE=" + std::string(message));
  lines.push_back("PRIORITY=" + std::to_string(priority));
  lines.push_back("SYSLOG_IDENTIFIER=netvrfd");
  lines.push_back(std::string("CODE_FILE=") + where.file_name());
  lines.push_back("CODE_LINE=" + std::to_string(where.line()));
  lines.push_back(std::string("CODE_FUNC=") + where.function_name());
  for (const auto& [key, value] : fields) lines.push_back(std::string(key) + "=" + value);
  std::vector<iovec> iov;
  iov.reserve(lines.size());
  for (auto& l : lines) iov.push_back({l.data(), l.size()});
  sd_journal_sendv(iov.data(), int(iov.size()));
}

}  // namespace netvrf::log
