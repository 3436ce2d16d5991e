// Socket files: who owns shoal's unix sockets, and where they may be made.
//
// Helpers for RunShoal, in the master before binding (first start only; a
// re-executed image adopts its sockets as they are), and for the sockets it
// was given instead (service/inherited_socket.h).
#pragma once

#include <optional>

#include "base/bind_address.h"
#include "base/status.h"
#include "daemon/options.h"
#include "service/privileges.h"
#include "supervisor/listener.h"
#include "supervisor/reexec.h"

namespace shoal::daemon {

// The --user and --group shoal drops to, as the owner of a file made for
// them (the access log); -1 where not given.
service::FileOwner AppUserOf(const Options& options);

// The owner a unix socket gets: --socket-owner, else AppUserOf.
service::FileOwner SocketOwnerOf(const Options& options);

// OK for a TCP address or a unix one whose directory exists (or cannot be
// checked: bind then says why). Else the one line that names the directory
// and the command that makes it, owned by the --user (or the user running
// shoal): "... does not exist; make it first, e.g. `install -d -o www-data
// /run/shoal`".
Status CheckSocketDirectory(const BindAddress& address, const Options& options);

// True if the master binds its socket itself (--bind unix:PATH or
// HOST:PORT on a first start), rather than take one it was given.
bool BindsItsSocket(const Options& options, const std::optional<supervisor::Inheritance>& inherited);

// True if there is a socket to serve on: one to bind, one a previous image
// left (`inherited`), --bind fd:N, systemd's (`activated`, or its error to
// report), or a listening fd 0.
bool HasSocketToServe(const Options& options, const std::optional<supervisor::Inheritance>& inherited,
                      const Result<std::optional<int>>& activated);

// The socket the master was given: what a previous image of it served on
// (HUP, USR2), --bind's fd, systemd's socket, or a listening fd 0; or the
// error saying what that fd is instead.
// REQUIRES: !BindsItsSocket and HasSocketToServe.
Result<supervisor::Listener> TakeGivenListener(const Options& options,
                                               std::optional<supervisor::Inheritance>& inherited,
                                               const Result<std::optional<int>>& activated);

}  // namespace shoal::daemon
