#include "supervisor/thread_signals.h"

#include <pthread.h>

#include <ctime>

namespace shoal::supervisor {
namespace {

// The thread that made the ThreadSignals: where Forward sends signals.
pthread_t serving_thread;

}  // namespace

void ThreadSignals::Forward(int signal) { pthread_kill(serving_thread, signal); }

ThreadSignals::ThreadSignals(const std::vector<int>& forwarded,
                             const std::vector<int>& ignored) {
  pthread_sigmask(SIG_SETMASK, nullptr, &mask_);
  for (const std::vector<int>* signals : {&forwarded, &ignored}) {
    for (int signal : *signals) {
      Saved saved{.signal = signal, .action = {}};
      if (sigaction(signal, nullptr, &saved.action) == 0) saved_.push_back(saved);
    }
  }
  // Blocked here first, so that Forward never runs in this thread (it
  // would send the signal to itself again, without end).
  sigemptyset(&forwarded_);
  for (int signal : forwarded) sigaddset(&forwarded_, signal);
  pthread_sigmask(SIG_BLOCK, &forwarded_, nullptr);
  serving_thread = pthread_self();
  struct sigaction forward {};
  forward.sa_handler = Forward;
  forward.sa_flags = SA_RESTART;
  sigemptyset(&forward.sa_mask);
  for (int signal : forwarded) sigaction(signal, &forward, nullptr);
  for (int signal : ignored) ::signal(signal, SIG_IGN);
}

ThreadSignals::~ThreadSignals() {
  // What the master left pending (the last worker's SIGCHLD, a TERM sent
  // twice) was meant for it, not for the program: taken off first, so that
  // opening the mask does not deliver it to a default action.
  sigset_t pending;
  sigemptyset(&pending);
  for (const Saved& saved : saved_) {
    if (sigismember(&forwarded_, saved.signal) == 1 && sigismember(&mask_, saved.signal) == 0) {
      sigaddset(&pending, saved.signal);
    }
  }
  const timespec now{};
  for (int taken = 0; taken < 64 && sigtimedwait(&pending, nullptr, &now) > 0; ++taken) {
  }
  for (const Saved& saved : saved_) sigaction(saved.signal, &saved.action, nullptr);
  pthread_sigmask(SIG_SETMASK, &mask_, nullptr);
}

}  // namespace shoal::supervisor
