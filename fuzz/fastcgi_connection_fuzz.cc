// Fuzz target: what a FastCGI web server sends on one connection (records:
// BEGIN_REQUEST, PARAMS, STDIN, ABORT_REQUEST, management records, several
// requests on a kept connection), through a real FastCgiConnection served
// as a worker serves it (connection_harness.h).
#include <cstddef>
#include <cstdint>

#include "fuzz/connection_harness.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  // Small limits, so that short inputs reach them: a params block past
  // --max-header-size, GET_VALUES answered with the pool's numbers.
  static const shoal::protocols::ConnectionConfig config{
      .max_header_size = 4096, .fastcgi_limits = {.max_conns = 8, .max_reqs = 2}};
  shoal::fuzz::ServeFuzzInput(shoal::protocols::Protocol::kFastCgi,
                              {reinterpret_cast<const char*>(data), size}, config);
  return 0;
}
