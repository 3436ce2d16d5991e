// Listener: the listening socket every worker accepts from.
//
// Made by the master before the first fork; workers inherit its fd. A unix
// socket is created with the requested mode and owner (--socket-mode,
// --socket-owner or --user); a stale file left by a crashed
// run is replaced, but a socket some live process still answers on is not.
// The socket file is removed when the Listener is destroyed, and only in the
// pid that created it and only if the path still names our socket; a
// relative path is made absolute when bound or adopted, so a later chdir
// (--chdir) does not lose it. A socket shoal inherited (--bind fd:N, fd 0,
// systemd; service/inherited_socket.h) is never unlinked, chmodded or
// chowned: whoever made it owns its file. The fd is non-blocking and
// close-on-exec.
#pragma once

#include <sys/types.h>

#include <optional>
#include <chrono>
#include <string>
#include <utility>

#include "base/status.h"
#include "base/unique_fd.h"
#include "base/bind_address.h"
#include "service/inherited_socket.h"
#include "service/privileges.h"

namespace shoal::supervisor {

class Listener {
 public:
  // Binds and listens; a unix socket gets `socket_mode` and `owner` before
  // it appears at its path. On failure returns an error naming the address
  // and the cause ("bind(127.0.0.1:8000) failed: Address already in use";
  // for a unix socket whose directory is missing, the directory).
  static Result<Listener> Bind(const BindAddress& address, unsigned socket_mode,
                               int backlog, service::FileOwner owner = {});

  // Takes over `fd`, a listening socket this process was handed (fd N of
  // `--bind fd:N`, fd 0, systemd's fd 3), after checking it is one; fd 0 is
  // moved off stdin (reopened on /dev/null). `origin` says where it came
  // from, for logs ("fd:0"). On failure returns an error saying what the fd
  // is instead ("fd:5 is not a socket").
  static Result<Listener> Inherit(int fd, const std::string& origin);

  // Takes over `fd`, a socket a previous image of this process listened on
  // (see reexec.h): bound to `address`, or, when that is nullopt or fd:N,
  // inherited from outside (its file is then not ours to remove).
  static Listener Adopt(UniqueFd fd, const std::optional<BindAddress>& address);

  Listener(Listener&& other) noexcept { *this = std::move(other); }
  Listener& operator=(Listener&& other) noexcept;
  ~Listener();

  int fd() const { return fd_.get(); }
  const std::string& name() const { return name_; }
  // True for a TCP (IPv4 or IPv6) socket.
  bool tcp() const;
  // True for a TCP socket bound to an address other hosts can reach (not
  // 127.0.0.0/8 or ::1).
  bool reachable_from_outside() const;
  // On a TCP socket, asks the kernel to hand over a connection only once
  // its first bytes have come, or `timeout` (rounded up to whole seconds)
  // has passed (TCP_DEFER_ACCEPT, nginx's `deferred`): a connection that
  // says nothing never takes a worker. Nothing on a unix socket.
  void DeferAccept(std::chrono::milliseconds timeout);

 private:
  Listener() = default;
  // This process made the socket file at `path` and removes it at the end.
  void OwnSocketFile(const std::string& path);
  void RemoveSocketFile();

  UniqueFd fd_;
  std::string name_;  // as in logs: "unix:/run/s.sock", "127.0.0.1:8000"
  // For a unix socket: what to remove, and how to know it is still ours.
  std::string unix_path_;
  pid_t owner_pid_ = -1;
  dev_t dev_ = 0;
  ino_t ino_ = 0;
};

}  // namespace shoal::supervisor
