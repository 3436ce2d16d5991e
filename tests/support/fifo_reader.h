// FifoReader: a named pipe that a process writes its output to, drained by
// a thread of the test.
//
// For tests that need shoal's stderr to be a pipe, as under multilog (where
// only writes of at most PIPE_BUF are atomic), not a file: make the
// FifoReader, then pass its path() as ShoalProcess's log path (Boost.Process
// opens it for writing; it does not block, as the reader is open). Never
// read path() as a file: that would take bytes from the pipe. The
// destructor stops the thread. Driven from the test's thread.
#pragma once

#include <chrono>
#include <filesystem>
#include <mutex>
#include <string>
#include <thread>
#include <atomic>

#include "support/fd.h"

namespace shoal::tests {

class FifoReader {
 public:
  // Makes the FIFO at `path` and starts reading it. Throws
  // std::runtime_error if the FIFO cannot be made or opened.
  explicit FifoReader(const std::filesystem::path& path);
  FifoReader(const FifoReader&) = delete;
  FifoReader& operator=(const FifoReader&) = delete;
  ~FifoReader();

  const std::filesystem::path& path() const { return path_; }

  // Everything read so far.
  std::string Text() const;

  // Waits until every writer has closed the pipe and it is drained (EOF),
  // or `timeout` passes; then stops reading. Returns whether EOF was seen.
  bool Finish(std::chrono::milliseconds timeout);

 private:
  void Run();

  std::filesystem::path path_;
  Fd fd_;
  mutable std::mutex mutex_;
  std::string text_;          // guarded by mutex_
  std::atomic<bool> stop_ = false;
  std::atomic<bool> eof_ = false;
  std::thread thread_;
};

}  // namespace shoal::tests
