// BindAddress: where shoal listens, parsed from `--bind`.
//
// Forms: `unix:PATH` (a unix stream socket), `HOST:PORT` (TCP; HOST is an
// IPv4 literal, a name such as `localhost`, or `[IPv6]`), and `:PORT`, which
// means 127.0.0.1 (never every interface by accident). Parsing only checks
// the shape; names are resolved when the socket is bound.
#pragma once

#include <string>
#include <string_view>

#include "base/status.h"

namespace shoal {

struct BindAddress {
  enum class Kind { kUnix, kTcp };
  Kind kind = Kind::kUnix;
  std::string path;  // kUnix
  std::string host;  // kTcp, without brackets
  int port = 0;      // kTcp, 1..65535

  // The address as the user would write it: "unix:/run/s.sock", "[::1]:80".
  std::string ToString() const;
};

// Returns the parsed address, or an error naming what is wrong with `text`.
Result<BindAddress> ParseBindAddress(std::string_view text);

}  // namespace shoal
