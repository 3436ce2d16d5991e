// Inherited sockets: a listening socket shoal did not make, handed to it by
// whatever started it.
//
// Three ways in. `--bind fd:N` names the fd. With no --bind, a listening
// socket on fd 0 is used, as FastCGI's FCGI_LISTENSOCK_FILENO says (how
// spawn-fcgi and Apache's mod_fcgid start a responder); and systemd socket
// activation (LISTEN_PID is this process, LISTEN_FDS=1) passes it as fd 3.
// shoal never unlinks or chmods the file of a socket it inherited: its
// owner made it and removes it. Master process only, before the app is
// imported; not thread-safe (the environment).
#pragma once

#include <optional>
#include <string>

#include "base/status.h"
#include "base/unique_fd.h"

namespace shoal::service {

// Reads and unsets LISTEN_PID, LISTEN_FDS and LISTEN_FDNAMES, as
// sd_listen_fds(1) does, so that nothing started later (the app's
// subprocesses, a re-executed shoal) misreads them. Returns the fd systemd
// passed (3) when LISTEN_PID is this process and LISTEN_FDS is 1; nullopt
// when there is no socket activation for this process; an error when
// systemd passed more than one socket (shoal serves one).
Result<std::optional<int>> TakeSocketActivation();

// OK if `fd` is an open stream socket in the listening state
// (SO_ACCEPTCONN); else an error saying what it is instead, with `what`
// ("fd:5") as its subject.
Status CheckListening(int fd, const std::string& what);

// True if fd 0 is a listening stream socket (FCGI_LISTENSOCK_FILENO).
bool StdinIsListening();

// Where `fd` is bound, as --bind would write it: "unix:/run/s.sock",
// "127.0.0.1:8000", "[::1]:9000"; "unix:(unnamed)" for an unnamed socket.
std::string DescribeSocket(int fd);

// Takes `fd` over: the result is close-on-exec and non-blocking. If `fd` is
// 0, the socket moves to another fd and fd 0 is reopened on /dev/null, so
// nothing in the app that reads stdin (`input()`) reads the socket. Returns
// an error naming the call that failed.
Result<UniqueFd> AdoptInheritedFd(int fd);

// Reopens `fd` on /dev/null (read and write). Returns the error of open or
// dup2.
Status ReopenOnDevNull(int fd);

// True if `a` and `b` are open and name the same file (socket, pipe...).
bool SameFile(int a, int b);

}  // namespace shoal::service
