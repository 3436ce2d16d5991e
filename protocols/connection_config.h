// ConnectionConfig: what every protocol's connection is configured with,
// in one struct, filled once from the options.
//
// The worker keeps one in its WorkerConfig and hands it to MakeConnection
// for each connection; a connection keeps a reference to it, so it must
// outlive every connection made with it. Each field is named after its
// option. Plain data: set in the master before fork, read in the workers.
#pragma once

#include <cstddef>
#include <string>

namespace shoal::protocols {

// What FCGI_GET_VALUES is answered with (fastcgi_management.h).
struct FastCgiLimits {
  int max_conns = 1;  // FCGI_MAX_CONNS: connections shoal will keep
  int max_reqs = 1;   // FCGI_MAX_REQS: requests served at once (the workers)
};

struct ConnectionConfig {
  // --max-header-size: the bound on a request's head (SCGI's netstring,
  // FastCGI's params block).
  size_t max_header_size = 64 * 1024;
  // --ajp-packet-size: the largest AJP packet either way (Apache's
  // ProxyIOBufferSize).
  size_t ajp_packet_size = 8192;
  // --ajp-secret: the secret every AJP request must carry; empty: none.
  std::string ajp_secret = {};
  FastCgiLimits fastcgi_limits = {};
};

}  // namespace shoal::protocols
