// The wire protocols shoal speaks, and how a connection's first bytes tell
// them apart (for --protocol auto).
#pragma once

#include <optional>
#include <string_view>

namespace shoal::protocols {

enum class Protocol { kFastCgi, kScgi, kAjp };

// "fastcgi", "scgi", "ajp".
std::string_view ProtocolName(Protocol protocol);

// How many leading bytes DetectProtocol needs.
inline constexpr size_t kDetectBytes = 2;

// The protocol a connection speaks, from its first kDetectBytes bytes:
// FastCGI starts with version 1 and a BEGIN_REQUEST or management record,
// SCGI with a digit (the netstring's length), AJP13 with 0x12 0x34. nullopt
// for anything else.
std::optional<Protocol> DetectProtocol(std::string_view first_bytes);

}  // namespace shoal::protocols
