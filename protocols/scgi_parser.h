// The SCGI request header: a netstring of NUL-separated names and values.
//
//   <length>:CONTENT_LENGTH\0<n>\0SCGI\01\0<name>\0<value>\0...,<body>
//
// A pure function over bytes, so it can be tested and fuzzed alone.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "protocols/exchange.h"

namespace shoal::protocols {

struct ScgiHead {
  std::vector<Param> params;    // views into the parsed bytes, in order
  uint64_t content_length = 0;  // the body's size, from CONTENT_LENGTH
  size_t header_bytes = 0;      // bytes the netstring took, comma included
};

// Parses the header at the start of `data`. Returns the head once the whole
// netstring is in `data`, nullopt if more bytes are needed, or an error
// naming what is malformed (a bad length, a netstring longer than
// `max_header_size`, no CONTENT_LENGTH first, no SCGI=1, a missing comma).
Result<std::optional<ScgiHead>> ParseScgiHead(std::string_view data, size_t max_header_size);

}  // namespace shoal::protocols
