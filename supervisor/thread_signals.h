// ThreadSignals: the signal state of a process shoal does not own, saved
// for the time shoal serves in it and put back after.
//
// The daemon owns its process: it blocks its signals and reads them from a
// signalfd for good. Inside a Python program (`import shoal`, run()) the
// interpreter was there first: it installed its own SIGINT handler, and the
// program may have others. ThreadSignals saves the calling thread's signal
// mask and the dispositions of `signals`; the master then blocks them and
// reads them as it always does, and the destructor restores both, so that
// after run() returns Ctrl-C raises KeyboardInterrupt again.
//
// The mask is the calling thread's only, and a signal sent to the process
// may be delivered to another thread that does not block it (one the
// program started before run()), where its default action would end the
// whole process. So while a ThreadSignals lives, each signal it forwards has a
// handler that only sends it on to the thread that made the ThreadSignals
// (pthread_kill, async-signal-safe), where it is blocked and waits for the
// master's signalfd. In that thread the handler never runs; a forked worker
// sets the signals back to their defaults. Master process only; one at a
// time; not movable.
#pragma once

#include <signal.h>

#include <vector>

namespace shoal::supervisor {

class ThreadSignals {
 public:
  // Saves the mask and the dispositions of `forwarded` and `ignored`;
  // blocks `forwarded` in this thread and forwards them here from any
  // other (as above); ignores `ignored` (SIGPIPE, as the daemon's main).
  ThreadSignals(const std::vector<int>& forwarded, const std::vector<int>& ignored);
  ~ThreadSignals();
  ThreadSignals(const ThreadSignals&) = delete;
  ThreadSignals& operator=(const ThreadSignals&) = delete;

 private:
  struct Saved {
    int signal;
    struct sigaction action;
  };
  static void Forward(int signal);

  sigset_t mask_{};
  sigset_t forwarded_{};
  std::vector<Saved> saved_;
};

}  // namespace shoal::supervisor
