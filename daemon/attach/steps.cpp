#include "attach/steps.hpp"

#include <system_error>

#include "common/log.hpp"

namespace netvrf {

void Steps::rollback() noexcept {
  for (auto it = undo_.rbegin(); it != undo_.rend(); ++it) {
    try {
      it->second();
    } catch (const std::exception& e) {
      log::error("undoing '" + it->first + "' failed: " + e.what());
    }
  }
  undo_.clear();
}

std::string failureMessage(const Steps& steps, const std::exception& cause) {
  std::string why = cause.what();
  if (auto* se = dynamic_cast<const std::system_error*>(&cause)) why = se->code().message();
  return steps.current() + " failed: " + why + "; rolled back";
}

}  // namespace netvrf
