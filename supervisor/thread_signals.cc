#include "supervisor/thread_signals.h"

#include <pthread.h>

#include <ctime>

namespace shoal::supervisor {

ThreadSignals::ThreadSignals(std::vector<int> signals) {
  pthread_sigmask(SIG_SETMASK, nullptr, &mask_);
  for (int signal : signals) {
    Saved saved{.signal = signal, .action = {}};
    if (sigaction(signal, nullptr, &saved.action) == 0) saved_.push_back(saved);
  }
}

ThreadSignals::~ThreadSignals() {
  // What the master left pending (the last worker's SIGCHLD, a TERM sent
  // twice) was meant for it, not for the program: taken off first, so that
  // opening the mask does not deliver it to a default action.
  sigset_t pending;
  sigemptyset(&pending);
  for (const Saved& saved : saved_) {
    if (sigismember(&mask_, saved.signal) == 0) sigaddset(&pending, saved.signal);
  }
  const timespec now{};
  for (int taken = 0; taken < 64 && sigtimedwait(&pending, nullptr, &now) > 0; ++taken) {
  }
  for (const Saved& saved : saved_) sigaction(saved.signal, &saved.action, nullptr);
  pthread_sigmask(SIG_SETMASK, &mask_, nullptr);
}

}  // namespace shoal::supervisor
