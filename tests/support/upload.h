// StreamPost: an upload of any size over a raw loopback HTTP/1.1 socket.
//
// HttpRequest holds a body in memory and always sends its length; uploads
// of a gibibyte, or chunked ones (with no length, as browsers' streamed
// uploads and curl -T - send them), go through here. Thread-safe: each call
// owns its socket.
#pragma once

#include <chrono>
#include <cstddef>
#include <string>

namespace shoal::tests {

// POSTs `chunks` blocks of `chunk_size` bytes of 'u' to 127.0.0.1:`port`
// `target`, with a Content-Length or chunked (then one HTTP chunk per
// block), without holding the body in memory. Reads the response to EOF
// (the request says Connection: close), each read and write bounded by
// `timeout`. Returns the response's body, or with `whole` the whole
// response, head included; "<no connection>" or "<send failed>" if it
// could not be sent (a server may refuse an upload before its end).
std::string StreamPost(int port, const std::string& target, size_t chunk_size, size_t chunks,
                       bool chunked, std::chrono::seconds timeout, bool whole = false);

}  // namespace shoal::tests
