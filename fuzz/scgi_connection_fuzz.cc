// Fuzz target: what an SCGI web server sends on one connection (the
// netstring head, then the body), through a real ScgiConnection served as a
// worker serves it (connection_harness.h).
#include <cstddef>
#include <cstdint>

#include "fuzz/connection_harness.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  // A small --max-header-size, so that short inputs reach it.
  static const shoal::protocols::ConnectionConfig config{.max_header_size = 4096};
  shoal::fuzz::ServeFuzzInput(shoal::protocols::Protocol::kScgi,
                              {reinterpret_cast<const char*>(data), size}, config);
  return 0;
}
