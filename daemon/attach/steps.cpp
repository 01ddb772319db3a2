#include "attach/steps.hpp"

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
  return steps.current() + " failed: " + cause.what() + "; rolled back";
}

VrfError::Kind failureKind(const std::exception& cause) {
  if (auto* v = dynamic_cast<const VrfError*>(&cause))
    if (v->kind() == VrfError::Kind::NotSupported || v->kind() == VrfError::Kind::TableInUse)
      return v->kind();
  return VrfError::Kind::Failed;
}

}  // namespace netvrf
