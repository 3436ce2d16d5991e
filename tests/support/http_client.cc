#include "support/http_client.h"

#include <poll.h>
#include <sys/socket.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstring>
#include <stdexcept>

#include "support/fd.h"
#include "support/loopback.h"

namespace shoal::tests {
namespace {

using Clock = std::chrono::steady_clock;

[[noreturn]] void Fail(const std::string& what) {
  throw std::runtime_error("http client: " + what);
}

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
}

// Milliseconds left until `deadline`, at least 0; fails once it has passed.
int RemainingMs(Clock::time_point deadline, const char* doing) {
  auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
  if (left.count() <= 0) Fail(std::string("timed out ") + doing);
  return static_cast<int>(left.count());
}

// Waits for `events` on `fd` until the deadline. Fails on timeout.
void PollOrFail(int fd, short events, Clock::time_point deadline, const char* doing) {
  for (;;) {
    pollfd waiting{fd, events, 0};
    int ready = ::poll(&waiting, 1, RemainingMs(deadline, doing));
    if (ready > 0) return;
    if (ready < 0 && errno != EINTR) Fail(std::string("poll() failed ") + doing);
  }
}

// Sends all of `data`. Returns false if the peer closed or reset the
// connection first (its response may still be worth reading).
bool SendAll(int fd, std::string_view data, Clock::time_point deadline) {
  while (!data.empty()) {
    ssize_t sent = ::send(fd, data.data(), data.size(), MSG_NOSIGNAL);
    if (sent > 0) {
      data.remove_prefix(static_cast<size_t>(sent));
    } else if (sent < 0 && (errno == EAGAIN || errno == EINTR)) {
      PollOrFail(fd, POLLOUT, deadline, "sending the request");
    } else if (sent < 0 && (errno == EPIPE || errno == ECONNRESET)) {
      return false;
    } else {
      Fail(std::string("send() failed: ") + std::strerror(errno));
    }
  }
  return true;
}

// Buffered reads from the response socket, all bounded by one deadline.
class Reader {
 public:
  Reader(int fd, Clock::time_point deadline) : fd_(fd), deadline_(deadline) {}

  // Appends what arrives next to the buffer. Returns false at end of stream.
  bool ReadMore() {
    char chunk[65536];
    for (;;) {
      ssize_t got = ::recv(fd_, chunk, sizeof chunk, 0);
      if (got > 0) {
        buffer_.append(chunk, static_cast<size_t>(got));
        return true;
      }
      if (got == 0) return false;
      if (errno == ECONNRESET) return false;
      if (errno != EAGAIN && errno != EINTR) {
        Fail(std::string("recv() failed: ") + std::strerror(errno));
      }
      PollOrFail(fd_, POLLIN, deadline_, "reading the response");
    }
  }

  // Removes and returns everything up to `delimiter` (which is dropped).
  std::string TakeUntil(std::string_view delimiter, const char* what) {
    size_t at;
    while ((at = buffer_.find(delimiter)) == std::string::npos) {
      if (!ReadMore()) Fail(std::string("connection closed before ") + what);
    }
    std::string taken = buffer_.substr(0, at);
    buffer_.erase(0, at + delimiter.size());
    return taken;
  }

  // Removes and returns exactly `count` bytes.
  std::string Take(size_t count, const char* what) {
    while (buffer_.size() < count) {
      if (!ReadMore()) Fail(std::string("connection closed before ") + what);
    }
    std::string taken = buffer_.substr(0, count);
    buffer_.erase(0, count);
    return taken;
  }

  // Removes and returns everything until the peer closes.
  std::string TakeRest() {
    while (ReadMore()) {
    }
    return std::exchange(buffer_, {});
  }

 private:
  int fd_;
  Clock::time_point deadline_;
  std::string buffer_;
};

void ParseHead(const std::string& head, HttpResponse& response) {
  size_t line_end = head.find("\r\n");
  std::string status_line = head.substr(0, line_end);
  // "HTTP/1.1 200 OK"
  if (!status_line.starts_with("HTTP/1.") || status_line.size() < 12 || status_line[8] != ' ') {
    Fail("bad status line: " + status_line);
  }
  response.status = std::stoi(status_line.substr(9, 3));
  while (line_end != std::string::npos) {
    size_t start = line_end + 2;
    line_end = head.find("\r\n", start);
    std::string line = head.substr(start, line_end == std::string::npos ? std::string::npos
                                                                         : line_end - start);
    size_t colon = line.find(':');
    if (colon == std::string::npos) Fail("bad header line: " + line);
    size_t value_start = line.find_first_not_of(" \t", colon + 1);
    std::string value = value_start == std::string::npos ? "" : line.substr(value_start);
    while (!value.empty() && (value.back() == ' ' || value.back() == '\t')) value.pop_back();
    response.headers.emplace_back(line.substr(0, colon), value);
  }
}

std::string ReadChunkedBody(Reader& reader) {
  std::string body;
  for (;;) {
    std::string size_line = reader.TakeUntil("\r\n", "a chunk size");
    size_t size = 0;
    try {
      size = std::stoul(size_line, nullptr, 16);  // stops at any ";extension"
    } catch (const std::exception&) {
      Fail("bad chunk size line: " + size_line);
    }
    if (size == 0) break;
    body += reader.Take(size, "the end of a chunk");
    if (!reader.Take(2, "a chunk's CRLF").starts_with("\r\n")) Fail("chunk not ended by CRLF");
  }
  // Trailer fields, up to an empty line.
  while (!reader.TakeUntil("\r\n", "the end of the trailer").empty()) {
  }
  return body;
}

}  // namespace

std::optional<std::string> HttpResponse::Header(std::string_view name) const {
  for (const auto& [key, value] : headers) {
    if (EqualsIgnoreCase(key, name)) return value;
  }
  return std::nullopt;
}

std::vector<std::string> HttpResponse::Headers(std::string_view name) const {
  std::vector<std::string> values;
  for (const auto& [key, value] : headers) {
    if (EqualsIgnoreCase(key, name)) values.push_back(value);
  }
  return values;
}

std::optional<std::string> HttpResponse::SetCookie(std::string_view name) const {
  std::optional<std::string> found;
  for (const std::string& cookie : Headers("Set-Cookie")) {
    std::string_view pair = std::string_view(cookie).substr(0, cookie.find(';'));
    size_t equals = pair.find('=');
    if (equals != std::string_view::npos && pair.substr(0, equals) == name) {
      found = std::string(pair.substr(equals + 1));
    }
  }
  return found;
}

HttpResponse HttpRequest(int port, std::string_view method, std::string_view target,
                         std::string_view body, std::chrono::milliseconds timeout,
                         const HttpHeaders& headers) {
  const auto deadline = Clock::now() + timeout;
  Fd fd = ConnectLoopback(port, timeout);
  if (!fd.valid()) Fail("cannot connect to 127.0.0.1:" + std::to_string(port));

  std::string request = std::string(method) + " " + std::string(target) + " HTTP/1.1\r\n";
  request += "Host: 127.0.0.1:" + std::to_string(port) + "\r\n";
  request += "Connection: close\r\n";
  bool has_content_type = false;
  for (const auto& [name, value] : headers) {
    request += name + ": " + value + "\r\n";
    has_content_type = has_content_type || EqualsIgnoreCase(name, "Content-Type");
  }
  if (!body.empty() || method == "POST") {
    if (!has_content_type) request += "Content-Type: application/octet-stream\r\n";
    request += "Content-Length: " + std::to_string(body.size()) + "\r\n";
  }
  request += "\r\n";
  if (SendAll(fd.get(), request, deadline)) SendAll(fd.get(), body, deadline);

  Reader reader(fd.get(), deadline);
  HttpResponse response;
  ParseHead(reader.TakeUntil("\r\n\r\n", "the end of the response head"), response);
  auto transfer_encoding = response.Header("Transfer-Encoding");
  auto content_length = response.Header("Content-Length");
  if (method == "HEAD" || response.status == 204 || response.status == 304) {
    // No body.
  } else if (transfer_encoding && EqualsIgnoreCase(*transfer_encoding, "chunked")) {
    response.body = ReadChunkedBody(reader);
  } else if (content_length) {
    response.body = reader.Take(std::stoul(*content_length), "the end of the body");
  } else {
    response.body = reader.TakeRest();
  }
  return response;
}

}  // namespace shoal::tests
