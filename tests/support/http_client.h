// A minimal blocking HTTP/1.1 client over a raw loopback TCP socket.
//
// One request per connection, sent with `Host`, `Connection: close`, any
// headers the caller adds (e.g. Cookie, Content-Type) and, with a body, a
// Content-Length. The response body is read by Content-Length, by chunked
// transfer coding, or to the end of the connection, whichever the response
// uses; no redirect is followed and no cookie kept. The whole exchange is
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

// Header fields as (name, value) pairs, in order; names keep their case.
using HttpHeaders = std::vector<std::pair<std::string, std::string>>;

struct HttpResponse {
  int status = 0;
  HttpHeaders headers;  // in the order received
  std::string body;     // chunked coding removed

  // The value of the first header named `name` (case-insensitive), or nullopt.
  std::optional<std::string> Header(std::string_view name) const;

  // The values of every header named `name` (case-insensitive), in order;
  // empty if there is none. For headers that may repeat, like Set-Cookie.
  std::vector<std::string> Headers(std::string_view name) const;

  // The value the last Set-Cookie for cookie `name` gives it ("a" from
  // "name=a; Path=/"), or nullopt if no Set-Cookie names it.
  std::optional<std::string> SetCookie(std::string_view name) const;
};

// Sends `method target` with `headers` and `body` to 127.0.0.1:`port` and
// reads the response. When the body is not empty, or for POST, a
// Content-Length is sent, and `Content-Type: application/octet-stream`
// unless `headers` has a Content-Type. `headers` must not repeat Host,
// Connection or Content-Length. Throws std::runtime_error when the
// connection is refused, the response is malformed or cut short, or all of
// it takes longer than `timeout`.
HttpResponse HttpRequest(int port, std::string_view method, std::string_view target,
                         std::string_view body = {},
                         std::chrono::milliseconds timeout = std::chrono::seconds(10),
                         const HttpHeaders& headers = {});

inline HttpResponse HttpGet(int port, std::string_view target,
                            std::chrono::milliseconds timeout = std::chrono::seconds(10)) {
  return HttpRequest(port, "GET", target, {}, timeout);
}

inline HttpResponse HttpPost(int port, std::string_view target, std::string_view body,
                             std::chrono::milliseconds timeout = std::chrono::seconds(10)) {
  return HttpRequest(port, "POST", target, body, timeout);
}

}  // namespace shoal::tests
