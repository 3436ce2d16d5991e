// FastCGI management records (request id 0): what shoal answers.
//
// FCGI_GET_VALUES is answered with shoal's real limits (libfcgi's own
// answer was fixed at 1, 1, 0), anything else with FCGI_UNKNOWN_TYPE. A
// pure function over bytes.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "protocols/connection_config.h"

namespace shoal::protocols {

// The whole reply record to a management record of `type` with `content`:
// FCGI_GET_VALUES_RESULT for FCGI_GET_VALUES (the names shoal knows, with
// FCGI_MPXS_CONNS 0, unknown names left out, as the spec says), and
// FCGI_UNKNOWN_TYPE for anything else. Malformed name-value pairs end the
// list where they start.
std::string ManagementReply(uint8_t type, std::string_view content, const FastCgiLimits& limits);

}  // namespace shoal::protocols
