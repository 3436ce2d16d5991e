#include "support/upload.h"

#include <fcntl.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <sstream>
#include <string_view>

#include "support/fd.h"
#include "support/loopback.h"

namespace shoal::tests {

std::string StreamPost(int port, const std::string& target, size_t chunk_size, size_t chunks,
                       bool chunked, std::chrono::seconds timeout, bool whole) {
  Fd fd = ConnectLoopback(port, std::chrono::seconds(5));
  if (!fd.valid()) return "<no connection>";
  fcntl(fd.get(), F_SETFL, fcntl(fd.get(), F_GETFL) & ~O_NONBLOCK);
  timeval tv{static_cast<time_t>(timeout.count()), 0};
  setsockopt(fd.get(), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
  setsockopt(fd.get(), SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
  std::string head = "POST " + target + " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n";
  head += chunked ? "Transfer-Encoding: chunked\r\n"
                  : "Content-Length: " + std::to_string(chunk_size * chunks) + "\r\n";
  head += "\r\n";
  auto send_all = [&](std::string_view data) {
    while (!data.empty()) {
      ssize_t n = send(fd.get(), data.data(), data.size(), MSG_NOSIGNAL);
      if (n <= 0) return false;
      data.remove_prefix(static_cast<size_t>(n));
    }
    return true;
  };
  std::string block(chunk_size, 'u');
  std::ostringstream size_line;
  size_line << std::hex << chunk_size << "\r\n";
  bool sent = send_all(head);
  for (size_t i = 0; sent && i < chunks; ++i) {
    sent = (!chunked || send_all(size_line.str())) && send_all(block) &&
           (!chunked || send_all("\r\n"));
  }
  if (sent && chunked) sent = send_all("0\r\n\r\n");
  std::string response;
  char buffer[65536];
  for (ssize_t n; (n = read(fd.get(), buffer, sizeof(buffer))) > 0;) {
    response.append(buffer, static_cast<size_t>(n));
  }
  if (!sent && response.empty()) return "<send failed>";
  size_t body = response.find("\r\n\r\n");
  return whole || body == std::string::npos ? response : response.substr(body + 4);
}

}  // namespace shoal::tests
