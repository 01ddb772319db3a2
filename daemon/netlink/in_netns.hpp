#pragma once

#include <exception>
#include <functional>
#include <optional>
#include <thread>
#include <type_traits>

namespace netvrf {

// Runs `work` on a fresh thread that has joined the network namespace `netnsFd` (setns changes
// only the calling thread), and returns its result or rethrows its exception. Netlink sockets
// and /proc/sys/net files opened by `work` belong to that namespace. The daemon's own threads
// never change namespace.
void runInNetnsImpl(int netnsFd, const std::function<void()>& work);

template <typename F>
auto runInNetns(int netnsFd, F&& work) -> std::invoke_result_t<F> {
  using R = std::invoke_result_t<F>;
  if constexpr (std::is_void_v<R>) {
    runInNetnsImpl(netnsFd, work);
  } else {
    std::optional<R> result;
    runInNetnsImpl(netnsFd, [&] { result.emplace(work()); });
    return std::move(*result);
  }
}

}  // namespace netvrf
