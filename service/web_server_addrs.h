// WebServerAddrs: FCGI_WEB_SERVER_ADDRS, the FastCGI spec's allow-list of
// web servers (§3.2), as libfcgi's os_unix.c and flup read it.
//
// A comma-separated list of IPv4 and IPv6 addresses, e.g.
// "127.0.0.1,10.0.0.5,::1". When it is set, a connection to a TCP listener
// from any other address is closed as it is accepted (a unix socket is
// guarded by its file's permissions instead, and is not checked). An IPv4
// peer on an IPv6 listener (::ffff:10.0.0.5) matches its IPv4 entry. The
// variable is left in the environment: the app may read it, as under flup.
// Parsed in the master; a copy is used read-only in each worker.
#pragma once

#include <netinet/in.h>
#include <sys/socket.h>

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"

namespace shoal::service {

class WebServerAddrs {
 public:
  static constexpr const char* kVariable = "FCGI_WEB_SERVER_ADDRS";

  // Parses `list`. Returns an error naming the entry that is not an IPv4
  // or IPv6 address.
  static Result<WebServerAddrs> Parse(std::string_view list);
  // The allow-list in FCGI_WEB_SERVER_ADDRS; nullopt when it is unset (or
  // empty: nobody would be allowed, which is never what was meant).
  static Result<std::optional<WebServerAddrs>> FromEnvironment();

  // True if `peer` (an accepted connection's address) may connect: a listed
  // IPv4 or IPv6 address, or any non-IP peer.
  bool Allows(const sockaddr_storage& peer) const;

  // "127.0.0.1, ::1": the list as parsed, for the start-up line.
  std::string ToString() const;

  // `peer`'s address without the port ("10.0.0.5", "::1"), for log lines.
  static std::string PeerName(const sockaddr_storage& peer);

 private:
  std::vector<in_addr> v4_;
  std::vector<in6_addr> v6_;
};

}  // namespace shoal::service
