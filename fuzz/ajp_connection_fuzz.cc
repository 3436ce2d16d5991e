// Fuzz target: what Apache's mod_proxy_ajp sends on one connection (CPINGs,
// FORWARD_REQUESTs, body packets, several requests on one connection),
// through a real AjpConnection served as a worker serves it
// (connection_harness.h).
#include <cstddef>
#include <cstdint>

#include "fuzz/connection_harness.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  // The smallest packet size Apache allows (ProxyIOBufferSize 8192), and no
  // --ajp-secret, so that mutated requests get past the check.
  static const shoal::protocols::ConnectionConfig config{.ajp_packet_size = 8192};
  shoal::fuzz::ServeFuzzInput(shoal::protocols::Protocol::kAjp,
                              {reinterpret_cast<const char*>(data), size}, config);
  return 0;
}
