// Pidfile: the file --pidfile names, holding the master's pid.
//
// Written once the socket is bound (after --daemonize, so it is the pid
// that serves), before privileges are dropped; removed when the owner is
// destroyed, only in the pid that wrote it and only if the file still
// holds that pid. A HUP re-exec keeps the pid: the new image finds the file
// already naming it and adopts it as it is (after the drop it could not
// rewrite a root-owned file). After a drop, removal needs the user to be
// allowed to write the file's directory; if not, one warning line says so,
// and the next start overwrites the stale file. Master process only.
#pragma once

#include <sys/types.h>

#include <string>

#include "base/status.h"

namespace shoal::service {

class Pidfile {
 public:
  // Returns OK unless `path` holds the pid of a live shoal other than this
  // process; then an error naming the pid. A missing, unreadable or stale
  // file (dead pid, or a pid reused by another program) is OK.
  static Status CheckNotRunning(const std::string& path);

  // Writes this process's pid to `path` (a temporary file renamed into
  // place, mode 0644 less the umask), or adopts the file if it already
  // holds this pid. Returns the owner, or an error naming the call that
  // failed.
  static Result<Pidfile> Write(const std::string& path);

  Pidfile(Pidfile&& other) noexcept { *this = std::move(other); }
  Pidfile& operator=(Pidfile&& other) noexcept;
  Pidfile(const Pidfile&) = delete;
  Pidfile& operator=(const Pidfile&) = delete;
  ~Pidfile();

 private:
  Pidfile() = default;
  void Remove();

  std::string path_;
  pid_t owner_pid_ = -1;
};

}  // namespace shoal::service
