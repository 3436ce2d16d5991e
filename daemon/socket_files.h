// Socket files: who owns shoal's unix sockets, and where they may be made.
//
// Helpers for RunShoal, in the master before binding (first start only; a
// re-executed image adopts its sockets as they are).
#pragma once

#include "base/bind_address.h"
#include "base/status.h"
#include "daemon/options.h"
#include "service/privileges.h"

namespace shoal::daemon {

// The owner a unix socket gets: --socket-owner, else the --user and --group
// shoal drops to, else unchanged (-1s).
service::FileOwner SocketOwnerOf(const Options& options);

// OK for a TCP address or a unix one whose directory exists (or cannot be
// checked: bind then says why). Else the one line that names the directory
// and the command that makes it, owned by the --user (or the user running
// shoal): "... does not exist; make it first, e.g. `install -d -o www-data
// /run/shoal`".
Status CheckSocketDirectory(const BindAddress& address, const Options& options);

}  // namespace shoal::daemon
