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
// The mask is the calling thread's only: a signal sent to the process may
// be delivered to another thread that does not block it (one the program
// started before run()), where Python's handler only notes it for the main
// thread. Programs that start threads before run() should block those
// signals in them (signal.pthread_sigmask). Master process only; not
// movable.
#pragma once

#include <signal.h>

#include <vector>

namespace shoal::supervisor {

class ThreadSignals {
 public:
  explicit ThreadSignals(std::vector<int> signals);
  ~ThreadSignals();
  ThreadSignals(const ThreadSignals&) = delete;
  ThreadSignals& operator=(const ThreadSignals&) = delete;

 private:
  struct Saved {
    int signal;
    struct sigaction action;
  };
  sigset_t mask_{};
  std::vector<Saved> saved_;
};

}  // namespace shoal::supervisor
