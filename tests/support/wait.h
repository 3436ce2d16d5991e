// WaitUntil: polls a condition until it holds or a bound passes.
//
// Every wait in the integration tests goes through here, so none can hang:
// a test that needs something to happen fails after `timeout` instead.
#pragma once

#include <chrono>
#include <thread>

namespace shoal::tests {

using namespace std::chrono_literals;

// Calls `ready` every `interval` until it returns true (result true) or
// `timeout` has passed (result false). `ready` is called at least once, and
// once more after the bound, so a condition met at the last moment counts.
template <typename Predicate>
bool WaitUntil(std::chrono::milliseconds timeout, Predicate&& ready,
               std::chrono::milliseconds interval = 20ms) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!ready()) {
    if (std::chrono::steady_clock::now() >= deadline) return ready();
    std::this_thread::sleep_for(interval);
  }
  return true;
}

}  // namespace shoal::tests
