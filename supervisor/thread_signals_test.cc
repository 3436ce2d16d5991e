#include "supervisor/thread_signals.h"

#include <pthread.h>
#include <signal.h>

#include <gtest/gtest.h>

#include <thread>

namespace shoal::supervisor {
namespace {

bool Blocked(int signal) {
  sigset_t mask;
  pthread_sigmask(SIG_SETMASK, nullptr, &mask);
  return sigismember(&mask, signal) == 1;
}

bool Pending(int signal) {
  sigset_t pending;
  sigpending(&pending);
  return sigismember(&pending, signal) == 1;
}

void (*Handler(int signal))(int) {
  struct sigaction action {};
  sigaction(signal, nullptr, &action);
  return action.sa_handler;
}

void Noted(int) {}

TEST(ThreadSignalsTest, ForwardsFromOtherThreadsAndPutsEverythingBack) {
  struct sigaction program {};
  program.sa_handler = Noted;
  sigemptyset(&program.sa_mask);
  ASSERT_EQ(sigaction(SIGUSR2, &program, nullptr), 0);
  // The test binary's SIGPIPE, as a program might have it: the default.
  const auto pipe_before = ::signal(SIGPIPE, SIG_DFL);
  ASSERT_FALSE(Blocked(SIGUSR2));
  {
    ThreadSignals signals({SIGUSR2}, {SIGPIPE});
    EXPECT_TRUE(Blocked(SIGUSR2));
    EXPECT_EQ(Handler(SIGPIPE), SIG_IGN);
    // Another thread, which does not block it, receives the signal: it is
    // sent on to this one, where it waits (blocked) for a signalfd.
    std::thread other([] {
      sigset_t open;
      sigemptyset(&open);
      sigaddset(&open, SIGUSR2);
      pthread_sigmask(SIG_UNBLOCK, &open, nullptr);
      pthread_kill(pthread_self(), SIGUSR2);
    });
    other.join();
    EXPECT_TRUE(Pending(SIGUSR2));
  }
  // Taken off before the mask opened (else Noted would have run now), and
  // the program's handler, mask and SIGPIPE are back.
  EXPECT_FALSE(Pending(SIGUSR2));
  EXPECT_FALSE(Blocked(SIGUSR2));
  EXPECT_EQ(Handler(SIGUSR2), Noted);
  EXPECT_EQ(Handler(SIGPIPE), SIG_DFL);
  ::signal(SIGUSR2, SIG_DFL);
  ::signal(SIGPIPE, pipe_before);
}

}  // namespace
}  // namespace shoal::supervisor
