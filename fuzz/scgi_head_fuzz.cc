// Fuzz target: ParseScgiHead (protocols/scgi_parser.h), the SCGI netstring
// head, with a small and the default --max-header-size, then
// RejoinCookies on its params as ScgiConnection does.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "protocols/cgi_params.h"
#include "protocols/scgi_parser.h"

using shoal::protocols::Param;
using shoal::protocols::ScgiHead;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view input(reinterpret_cast<const char*>(data), size);
  for (size_t max_header_size : {size_t{64}, size_t{65536}}) {
    shoal::Result<std::optional<ScgiHead>> parsed =
        shoal::protocols::ParseScgiHead(input, max_header_size);
    if (!parsed.ok() || !parsed.value()) continue;
    ScgiHead& head = *parsed.value();
    // The head lies inside the input, and so does every view into it.
    if (head.header_bytes > input.size() || head.params.empty()) std::abort();
    for (const Param& p : head.params) {
      if (p.name.data() < input.data() ||
          p.value.data() + p.value.size() > input.data() + head.header_bytes) {
        std::abort();
      }
    }
    std::string cookies;
    shoal::protocols::RejoinCookies(head.params, cookies);
  }
  return 0;
}
