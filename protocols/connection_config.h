// ConnectionConfig: what every protocol's connection is configured with,
// in one struct, filled once from the options.
//
// The worker keeps one in its WorkerConfig and hands it to MakeConnection
// for each connection; a connection keeps a reference to it, so it must
// outlive every connection made with it. Each field is named after its
// option. Plain data: set in the master before fork, read in the workers.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
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
  // --header-timeout: a request's whole head (and any control records and
  // their answers before it) must arrive within this, from the first read.
  std::chrono::milliseconds header_timeout = std::chrono::seconds(10);
  // --body-timeout: the longest wait for the next bytes of a request body.
  std::chrono::milliseconds body_timeout = std::chrono::seconds(60);
  // --send-timeout: the longest wait for the front end to take more of the
  // response (a client that does not read).
  std::chrono::milliseconds send_timeout = std::chrono::seconds(60);
  // --min-rate: bytes a second a client must move, on average over the
  // time spent waiting on it, in the body and the response; 0: no minimum.
  uint64_t min_rate = 500;
};

}  // namespace shoal::protocols
