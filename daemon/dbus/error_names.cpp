#include "dbus/error_names.hpp"

namespace netvrf {

const char* errorNameFor(Manager::Refusal why) {
  using R = Manager::Refusal;
  switch (why) {
    case R::NoSuchContainer:
      return "org.netvrf1.Error.NoSuchContainer";
    case R::AmbiguousContainer:
      return "org.netvrf1.Error.AmbiguousContainer";
    case R::NotRegistered:
      return "org.netvrf1.Error.NotRegistered";
    case R::NoSuchNetwork:
      return "org.netvrf1.Error.NoSuchNetwork";
    case R::AmbiguousNetwork:
      return "org.netvrf1.Error.AmbiguousNetwork";
    case R::InvalidName:
      return "org.netvrf1.Error.InvalidName";
    case R::InvalidArgument:
      return kInvalidArgument;
    case R::NameTaken:
      return "org.netvrf1.Error.NameTaken";
    case R::NoSuchProcess:
      return "org.netvrf1.Error.NoSuchProcess";
    case R::NoSuchNamespace:
      return "org.netvrf1.Error.NoSuchNamespace";
    case R::NotOwned:
      return "org.netvrf1.Error.NotOwned";
    case R::LimitReached:
      return "org.netvrf1.Error.LimitReached";
    case R::None:
    case R::Failed:
      break;
  }
  return "org.netvrf1.Error.Failed";
}

const char* errorNameFor(VrfError::Kind kind) {
  switch (kind) {
    case VrfError::Kind::Invalid:
      return kInvalidArgument;
    case VrfError::Kind::NotSupported:
      return "org.netvrf1.Error.NotSupported";
    case VrfError::Kind::TableInUse:
      return "org.netvrf1.Error.TableInUse";
    case VrfError::Kind::NotFound:
      return "org.netvrf1.Error.NoSuchVrf";
    case VrfError::Kind::InUse:
      return "org.netvrf1.Error.VrfInUse";
    case VrfError::Kind::Failed:
      break;
  }
  return "org.netvrf1.Error.AttachFailed";
}

}  // namespace netvrf
