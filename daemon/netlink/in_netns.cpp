#include "netlink/in_netns.hpp"

#include <sched.h>

#include "common/error.hpp"
#include "common/thread_name.hpp"

namespace netvrf {

void runInNetnsImpl(int netnsFd, const std::function<void()>& work) {
  std::exception_ptr failure;
  std::thread t([&] {
    nameThisThread("nv-netns");  // lives for one piece of work inside a namespace
    try {
      if (setns(netnsFd, CLONE_NEWNET) < 0) throwErrno("enter network namespace");
      work();
    } catch (...) {
      failure = std::current_exception();
    }
  });
  t.join();
  if (failure) std::rethrow_exception(failure);
}

}  // namespace netvrf
