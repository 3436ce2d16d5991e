// Readiness: telling a process supervisor that shoal serves.
//
// Two ways, either or both at once:
// - s6's notification fd (`--ready-fd N`, with `N` in the service
//   directory's `notification-fd` file): once, when shoal first serves, a
//   newline is written to fd N and the fd is closed; s6-supervise then marks
//   the service up (`s6-svwait -U`).
// - systemd's notify protocol (`$NOTIFY_SOCKET`, Type=notify): one datagram
//   per state on that unix socket, written here without libsystemd:
//   `READY=1` when serving (again after each reload), `RELOADING=1` before a
//   HUP or USR2 re-exec, `STOPPING=1` on a stop signal.
//
// Owned by the master (supervisor::MasterConfig); it calls Ready once its
// first worker waits for work. The fd is close-on-exec, so a --lazy-apps
// worker never has it; a forked worker closes its copy with DropInWorker.
// On HUP the fd, if still waiting, crosses the exec (pending_fd) and the new
// image tells readiness in its turn. Not thread-safe; never signal-safe.
#pragma once

#include <string>
#include <string_view>

#include "base/status.h"
#include "base/unique_fd.h"

namespace shoal::service {

class Readiness {
 public:
  // Tells nobody.
  Readiness() = default;
  // `ready_fd`: the notification fd (invalid: none); `notify_socket`: the
  // value of $NOTIFY_SOCKET ("" for none).
  Readiness(UniqueFd ready_fd, std::string notify_socket);
  Readiness(Readiness&&) = default;
  Readiness& operator=(Readiness&&) = default;

  // Whether anyone is listening (a fd or a notify socket).
  bool wanted() const { return ready_fd_.valid() || !notify_socket_.empty(); }
  // Whether Ready was called since the start or the last Reloading.
  bool told_ready() const { return told_ready_; }

  // Serving: the first call writes "\n" to the fd and closes it; each call
  // after a start or a Reloading sends READY=1 with `status` (STATUS=).
  // Failures are logged (one warning line), never fatal.
  void Ready(std::string_view status);
  // About to re-execute: RELOADING=1 (with MONOTONIC_USEC).
  void Reloading();
  // A stop signal came: STOPPING=1.
  void Stopping();

  // The notification fd while it still waits for Ready, else -1: what a
  // re-exec passes on.
  int pending_fd() const { return ready_fd_.get(); }
  // In a forked worker: closes the worker's copy of the fd (the master's
  // stays open). Sends nothing.
  void DropInWorker() { ready_fd_.Reset(); }

 private:
  void Notify(std::string_view message);

  UniqueFd ready_fd_;
  std::string notify_socket_;
  bool told_ready_ = false;
};

// Takes fd `fd` (from --ready-fd) as the notification fd, close-on-exec.
// Returns it, or an error naming the fd if it is not open.
// REQUIRES: called before this process opens any fd of its own, so that
// `fd` cannot be one of them.
Result<UniqueFd> TakeReadyFd(int fd);

// Sends `message` as one datagram to the unix socket at `path` (a leading
// '@' names an abstract socket, as systemd writes it). Returns an error
// naming the call that failed.
Status SdNotify(const std::string& path, std::string_view message);

}  // namespace shoal::service
