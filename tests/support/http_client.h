// A minimal blocking HTTP/1.1 client over a raw loopback TCP socket.
//
// One request per connection, sent with `Connection: close`. The response
// body is read by Content-Length, by chunked transfer coding, or to the end
// of the connection, whichever the response uses. The whole exchange is
// bounded by a timeout, so a server that hangs fails the test instead of
// freezing it. Thread-safe: each call owns its socket.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace shoal::tests {

struct HttpResponse {
  int status = 0;
  std::vector<std::pair<std::string, std::string>> headers;  // in the order received
  std::string body;                                          // chunked coding removed

  // The value of the first header named `name` (case-insensitive), or nullopt.
  std::optional<std::string> Header(std::string_view name) const;
};

// Sends `method target` with `body` (a Content-Length is sent when the body
// is not empty, or for POST) to 127.0.0.1:`port` and reads the response.
// Throws std::runtime_error when the connection is refused, the response is
// malformed or cut short, or all of it takes longer than `timeout`.
HttpResponse HttpRequest(int port, std::string_view method, std::string_view target,
                         std::string_view body = {},
                         std::chrono::milliseconds timeout = std::chrono::seconds(10));

inline HttpResponse HttpGet(int port, std::string_view target,
                            std::chrono::milliseconds timeout = std::chrono::seconds(10)) {
  return HttpRequest(port, "GET", target, {}, timeout);
}

inline HttpResponse HttpPost(int port, std::string_view target, std::string_view body,
                             std::chrono::milliseconds timeout = std::chrono::seconds(10)) {
  return HttpRequest(port, "POST", target, body, timeout);
}

}  // namespace shoal::tests
