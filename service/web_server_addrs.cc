#include "service/web_server_addrs.h"

#include <arpa/inet.h>

#include <cstdlib>
#include <cstring>

namespace shoal::service {
namespace {

std::string_view Trim(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) text.remove_suffix(1);
  return text;
}

}  // namespace

Result<WebServerAddrs> WebServerAddrs::Parse(std::string_view list) {
  WebServerAddrs addrs;
  while (true) {
    size_t comma = list.find(',');
    std::string entry(Trim(list.substr(0, comma)));
    in_addr v4{};
    in6_addr v6{};
    if (::inet_pton(AF_INET, entry.c_str(), &v4) == 1) {
      addrs.v4_.push_back(v4);
    } else if (::inet_pton(AF_INET6, entry.c_str(), &v6) == 1) {
      addrs.v6_.push_back(v6);
    } else {
      return Status::Error(std::string(kVariable) + ": '" + entry +
                           "' is not an IPv4 or IPv6 address (expected a comma-separated list, "
                           "such as 127.0.0.1,::1)");
    }
    if (comma == std::string_view::npos) break;
    list.remove_prefix(comma + 1);
  }
  return addrs;
}

Result<std::optional<WebServerAddrs>> WebServerAddrs::FromEnvironment() {
  const char* value = std::getenv(kVariable);
  if (value == nullptr || Trim(value).empty()) return std::optional<WebServerAddrs>();
  Result<WebServerAddrs> parsed = Parse(value);
  if (!parsed.ok()) return parsed.status();
  return std::optional<WebServerAddrs>(std::move(parsed).value());
}

bool WebServerAddrs::Allows(const sockaddr_storage& peer) const {
  if (peer.ss_family == AF_INET) {
    const in_addr& address = reinterpret_cast<const sockaddr_in&>(peer).sin_addr;
    for (const in_addr& allowed : v4_) {
      if (allowed.s_addr == address.s_addr) return true;
    }
    return false;
  }
  if (peer.ss_family == AF_INET6) {
    const in6_addr& address = reinterpret_cast<const sockaddr_in6&>(peer).sin6_addr;
    if (IN6_IS_ADDR_V4MAPPED(&address)) {
      for (const in_addr& allowed : v4_) {
        if (std::memcmp(&address.s6_addr[12], &allowed.s_addr, 4) == 0) return true;
      }
    }
    for (const in6_addr& allowed : v6_) {
      if (IN6_ARE_ADDR_EQUAL(&allowed, &address)) return true;
    }
    return false;
  }
  return true;  // a unix peer: the socket file's permissions guard it
}

std::string WebServerAddrs::ToString() const {
  std::string text;
  char buffer[INET6_ADDRSTRLEN];
  for (const in_addr& address : v4_) {
    text += (text.empty() ? "" : ", ") + std::string(::inet_ntop(AF_INET, &address, buffer, sizeof(buffer)));
  }
  for (const in6_addr& address : v6_) {
    text += (text.empty() ? "" : ", ") + std::string(::inet_ntop(AF_INET6, &address, buffer, sizeof(buffer)));
  }
  return text;
}

std::string WebServerAddrs::PeerName(const sockaddr_storage& peer) {
  char buffer[INET6_ADDRSTRLEN] = "unknown";
  if (peer.ss_family == AF_INET) {
    ::inet_ntop(AF_INET, &reinterpret_cast<const sockaddr_in&>(peer).sin_addr, buffer, sizeof(buffer));
  } else if (peer.ss_family == AF_INET6) {
    ::inet_ntop(AF_INET6, &reinterpret_cast<const sockaddr_in6&>(peer).sin6_addr, buffer, sizeof(buffer));
  }
  return buffer;
}

}  // namespace shoal::service
