#include "protocols/protocol.h"

namespace shoal::protocols {

std::string_view ProtocolName(Protocol protocol) {
  switch (protocol) {
    case Protocol::kFastCgi:
      return "fastcgi";
    case Protocol::kScgi:
      return "scgi";
    case Protocol::kAjp:
      return "ajp";
  }
  return "unknown";
}

std::optional<Protocol> DetectProtocol(std::string_view first_bytes) {
  if (first_bytes.size() < kDetectBytes) return std::nullopt;
  const auto version = static_cast<unsigned char>(first_bytes[0]);
  const auto type = static_cast<unsigned char>(first_bytes[1]);
  // FCGI_BEGIN_REQUEST (1), or FCGI_GET_VALUES (9) and other management
  // records a web server may send first.
  if (version == 1 && (type == 1 || type == 9)) return Protocol::kFastCgi;
  if (version >= '0' && version <= '9') return Protocol::kScgi;
  if (version == 0x12 && type == 0x34) return Protocol::kAjp;
  return std::nullopt;
}

}  // namespace shoal::protocols
