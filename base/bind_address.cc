#include "base/bind_address.h"

#include <sys/un.h>

#include <charconv>

namespace shoal {
namespace {

constexpr const char* kForms = "unix:PATH, HOST:PORT, [IPv6]:PORT, :PORT or fd:N";

Status BadAddress(std::string_view text, std::string_view why) {
  return Status::Error("invalid bind address '" + std::string(text) + "': " + std::string(why));
}

}  // namespace

std::string BindAddress::ToString() const {
  if (kind == Kind::kUnix) return "unix:" + path;
  if (kind == Kind::kFd) return "fd:" + std::to_string(fd);
  std::string h = host.find(':') != std::string::npos ? "[" + host + "]" : host;
  return h + ":" + std::to_string(port);
}

Result<BindAddress> ParseBindAddress(std::string_view text) {
  BindAddress address;
  if (text.starts_with("unix:")) {
    address.kind = BindAddress::Kind::kUnix;
    address.path = std::string(text.substr(5));
    if (address.path.empty()) return BadAddress(text, "empty socket path");
    if (address.path.size() >= sizeof(sockaddr_un::sun_path)) {
      return BadAddress(text, "socket path longer than " +
                                  std::to_string(sizeof(sockaddr_un::sun_path) - 1) + " bytes");
    }
    return address;
  }
  if (text.starts_with("fd:")) {
    std::string_view number = text.substr(3);
    int value = -1;
    auto [end, err] = std::from_chars(number.data(), number.data() + number.size(), value);
    if (number.empty() || err != std::errc() || end != number.data() + number.size() ||
        value < 0) {
      return BadAddress(text, "expected fd:N, N a file descriptor number (0 or more)");
    }
    address.kind = BindAddress::Kind::kFd;
    address.fd = value;
    return address;
  }
  address.kind = BindAddress::Kind::kTcp;
  std::string_view host;
  std::string_view port;
  if (text.starts_with("[")) {
    size_t close = text.find(']');
    if (close == std::string_view::npos || close + 1 >= text.size() || text[close + 1] != ':') {
      return BadAddress(text, "expected [IPv6]:PORT");
    }
    host = text.substr(1, close - 1);
    port = text.substr(close + 2);
  } else {
    size_t colon = text.rfind(':');
    if (colon == std::string_view::npos) {
      return BadAddress(text, std::string("expected ") + kForms);
    }
    if (text.find("://") != std::string_view::npos) {
      return BadAddress(text, std::string("expected ") + kForms + ", without a scheme such as "
                              "tcp://");
    }
    host = text.substr(0, colon);
    port = text.substr(colon + 1);
    if (host.find(':') != std::string_view::npos) {
      return BadAddress(text, std::string("write an IPv6 host in brackets, as [::1]:PORT (forms: ") +
                                  kForms + ")");
    }
  }
  address.host = host.empty() ? "127.0.0.1" : std::string(host);
  int value = 0;
  auto [end, err] = std::from_chars(port.data(), port.data() + port.size(), value);
  if (port.empty() || err != std::errc() || end != port.data() + port.size() || value < 1 ||
      value > 65535) {
    return BadAddress(text, "port must be a number from 1 to 65535");
  }
  address.port = value;
  return address;
}

}  // namespace shoal
