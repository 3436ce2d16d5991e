// Fuzz target: ParseForwardRequest and ToCgi (protocols/ajp_request.h), an
// AJP13 FORWARD_REQUEST payload (the packet after its 4-byte header, type
// byte first) read with ajp::Reader and mapped to CGI params.
#include <cstddef>
#include <cstdint>

#include "protocols/ajp_request.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view payload(reinterpret_cast<const char*>(data), size);
  shoal::Result<shoal::protocols::ajp::ForwardRequest> request =
      shoal::protocols::ajp::ParseForwardRequest(payload);
  if (request.ok()) (void)shoal::protocols::ajp::ToCgi(request.value());
  return 0;
}
