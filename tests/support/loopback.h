// Loopback TCP sockets for the tests: hold a port, find a free one, connect.
//
// Every socket here is close-on-exec, so the processes a test starts (Boost.
// Process v1 hands them every fd that is not) never inherit one. Only
// 127.0.0.1 is ever used.
#pragma once

#include <chrono>

#include "support/fd.h"

namespace shoal::tests {

// LoopbackListener: a TCP socket listening on 127.0.0.1, owned by the test;
// closed in the destructor. Used to make shoal find its address in use.
class LoopbackListener {
 public:
  // Binds 127.0.0.1:`port` (0: a port the kernel picks) and listens.
  // Throws std::runtime_error naming the failed call.
  explicit LoopbackListener(int port = 0);

  // The port actually bound.
  int port() const { return port_; }

  // Accepts one connection. Returns a blocking, close-on-exec socket, or an
  // invalid Fd if none arrives within `timeout`.
  Fd Accept(std::chrono::milliseconds timeout);

 private:
  Fd fd_;
  int port_ = 0;
};

// Returns a loopback TCP port that was free a moment ago: the kernel picks
// it for a listener that is then closed. Another process could take it
// before the caller binds it; with ephemeral ports that is rare enough for
// tests. Throws std::runtime_error if no socket can be made.
int FindFreeLoopbackPort();

// True if some process listens on TCP 127.0.0.1:`port` (read from
// /proc/net/tcp, so that no connection is made to find out).
bool IsListeningOnLoopback(int port);

// Connects to 127.0.0.1:`port`. Returns a connected, non-blocking socket, or
// an invalid Fd if the connection is refused or not made within `timeout`.
Fd ConnectLoopback(int port, std::chrono::milliseconds timeout);

}  // namespace shoal::tests
