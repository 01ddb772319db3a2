#pragma once

#include <string>

namespace netvrf {

// Why netvrfd turned down what the API asked of it; dbus/error_names.hpp names each for the bus.
enum class Refusal {
  None,
  NoSuchContainer,
  AmbiguousContainer,  // the id prefix names several
  NotRegistered,       // it runs, but has no namespace entry
  NoSuchNetwork,
  AmbiguousNetwork,
  InvalidName,
  InvalidArgument,
  NameTaken,
  NoSuchProcess,
  NoSuchNamespace,
  NotOwned,      // an entry netvrfd did not make, or one a container owns
  LimitReached,  // out of file descriptors
  Failed,
};

// What the API asked for, found (its key), or why not and a one-line message.
struct Found {
  std::string key;
  Refusal why = Refusal::None;
  std::string error;
};

}  // namespace netvrf
