#include "netlink/nl_error.hpp"

#include <netlink/errno.h>

namespace netvrf {
namespace {

class NlCategory : public std::error_category {
 public:
  const char* name() const noexcept override { return "libnl"; }
  std::string message(int code) const override { return nl_geterror(code); }
};

}  // namespace

const std::error_category& nlCategory() {
  static NlCategory category;
  return category;
}

void checkNl(int result, const std::string& what) {
  if (result < 0) throw std::system_error(-result, nlCategory(), what);
}

bool isNl(const std::system_error& e, int nle) {
  return e.code().category() == nlCategory() && e.code().value() == nle;
}

}  // namespace netvrf
