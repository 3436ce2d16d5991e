// BindAddress: where shoal listens, parsed from `--bind`.
//
// Forms: `unix:PATH` (a unix stream socket), `HOST:PORT` (TCP; HOST is an
// IPv4 literal, a name such as `localhost`, or `[IPv6]`), `:PORT`, which
// means 127.0.0.1 (never every interface by accident), and `fd:N`, a socket
// already listening on file descriptor N that shoal inherited (spawn-fcgi,
// systemd). Parsing only checks the shape; names are resolved when the
// socket is bound, and an inherited fd is checked when it is taken.
#pragma once

#include <string>
#include <string_view>

#include "base/status.h"

namespace shoal {

struct BindAddress {
  enum class Kind { kUnix, kTcp, kFd };
  Kind kind = Kind::kUnix;
  std::string path;  // kUnix
  std::string host;  // kTcp, without brackets
  int port = 0;      // kTcp, 1..65535
  int fd = -1;       // kFd, 0 or more

  // The address as the user would write it: "unix:/run/s.sock", "[::1]:80",
  // "fd:3".
  std::string ToString() const;
};

// Returns the parsed address, or an error naming what is wrong with `text`.
Result<BindAddress> ParseBindAddress(std::string_view text);

}  // namespace shoal
