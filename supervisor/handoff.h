// Passing a connection to another process: its fd (SCM_RIGHTS) and the
// protocol it speaks, as one message on a SOCK_SEQPACKET socket.
//
// Workers park idle persistent connections with the master this way, and the
// master hands a parked connection whose next request has arrived to any
// idle worker. A message is atomic, so several processes may share one end.
#pragma once

#include <optional>

#include "base/status.h"
#include "base/unique_fd.h"
#include "protocols/protocol.h"

namespace shoal::supervisor {

struct HandedConnection {
  protocols::Protocol protocol;
  UniqueFd fd;
};

// A connected SOCK_SEQPACKET pair, close-on-exec: [0] receives, [1] sends
// (either end can do both; the roles are a convention).
Result<std::pair<UniqueFd, UniqueFd>> MakeHandoffChannel();

// The two channels between the master and its workers, both ends of each.
// Made by the first image of the master and never remade: a re-exec hands
// all four fds to the next image (reexec.h), so the workers of the old and
// the new generation park with, and take from, the same channels, and a
// message in flight at the exec is not lost. Master process (a worker keeps
// only park_send and ready_receive).
struct HandoffChannels {
  UniqueFd park_receive;   // the master's end: idle connections come in
  UniqueFd park_send;      // the workers' end
  UniqueFd ready_receive;  // the workers' end: connections whose request arrived
  UniqueFd ready_send;     // the master's end
};

// Both channels, new. Returns the error of the first call that failed.
Result<HandoffChannels> MakeHandoffChannels();

// Sends `fd` down `channel`; the caller still owns (and then closes) its copy.
// Returns true once sent. With `dont_wait`, returns false instead of
// blocking when the channel is full.
Result<bool> SendConnection(int channel, protocols::Protocol protocol, int fd,
                            bool dont_wait = false);

// Receives one connection without blocking. Returns nullopt when there is
// none (another process took it), or an error.
Result<std::optional<HandedConnection>> ReceiveConnection(int channel);

}  // namespace shoal::supervisor
