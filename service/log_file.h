// LogFile: a file that log lines are appended to, reopened on USR1.
//
// Opened O_WRONLY|O_APPEND|O_CREAT (mode 0644 less the umask), close-on-exec,
// so each line, written with one write(2), lands whole at the end of the
// file whatever other processes append to it. The path `-` is stdout (fd
// 1, never closed or reopened). Reopen opens the path afresh (creating the
// file if logrotate moved it away) and only then closes the old fd, so a
// failed reopen keeps writing where it wrote before.
//
// The master opens one (--access-log) before forking; each forked worker
// writes through its copy and reopens its own when told to (USR1), between
// requests. Not thread-safe; never used from a signal handler.
#pragma once

#include <string>
#include <string_view>

#include "base/status.h"
#include "base/unique_fd.h"

namespace shoal::service {

class LogFile {
 public:
  // Opens `path` (absolute, or `-` for stdout). Returns the file, or an
  // error naming the path and the failed call.
  static Result<LogFile> Open(const std::string& path);

  LogFile(LogFile&&) = default;
  LogFile& operator=(LogFile&&) = default;

  // Opens the path again and writes there from now on. On error the old
  // file stays in use and the error names the path.
  Status Reopen();

  // Writes `line` (newline included, at most PIPE_BUF bytes) in one
  // write(2), retried on EINTR. Returns an error if the write failed or
  // was short.
  Status Write(std::string_view line);

  const std::string& path() const { return path_; }

 private:
  LogFile(std::string path, UniqueFd fd) : path_(std::move(path)), fd_(std::move(fd)) {}
  int fd() const { return fd_.valid() ? fd_.get() : 1; }

  std::string path_;
  UniqueFd fd_;  // invalid for `-` (stdout)
};

}  // namespace shoal::service
