// ServeFuzzInput: one fuzz input through a real Connection, served as a
// worker serves a connection (supervisor/worker.cc).
//
// The input is what a web server sent on one connection. A second thread
// (one for the process) plays the web server over a socketpair: it writes the input (then
// half-closes, as a front end that has nothing more to say) while reading
// and dropping everything the connection writes back, so neither side can
// block the other. The calling thread makes the connection with
// MakeConnection and calls ReadRequest until the connection ends, handing
// each request to FuzzHandler: a stand-in for the WSGI gateway that reads
// the body as wsgi.input would (CONTENT_LENGTH bytes, or the whole body
// spooled with SpooledBody when there is no length), touches every param
// byte before and after, and answers in one of four ways chosen by the
// request itself (so an input always takes the same path): a small
// response; a streamed one (flushed, PeerAborted asked, then a large write
// and a file); a failure after the headers (Abort); an answer without
// reading the body.
//
// Used only by the *_connection fuzz targets, in one process, one input at
// a time.
#pragma once

#include <string_view>

#include "protocols/connection_config.h"
#include "protocols/protocol.h"

namespace shoal::fuzz {

// Serves `input` on a new connection of `protocol` made with `config`, to
// the end, as described above. Returns once the connection is closed and
// the web server's thread has read to its EOF. Aborts the process only if a
// socketpair cannot be made, or a spooled body cannot be read back.
void ServeFuzzInput(protocols::Protocol protocol, std::string_view input,
                    const protocols::ConnectionConfig& config);

}  // namespace shoal::fuzz
