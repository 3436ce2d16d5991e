// FastCGI records and name-value pairs, as bytes (pure functions).
//
// The record layout and the type and status numbers are libfcgi's
// <fastcgi.h>; the encoding and decoding is shoal's, so that reading a
// request costs no allocation per param (libfcgi's FCGX_Accept_r allocated
// each param, stream and buffer: a quarter of a worker's instructions per
// hello request, by bench/callgrind).
#pragma once

#include <fastcgi.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "protocols/exchange.h"

namespace shoal::protocols {

struct RecordHeader {
  uint8_t version = 0;
  uint8_t type = 0;
  uint16_t request_id = 0;
  uint16_t content_length = 0;
  uint8_t padding_length = 0;

  size_t record_size() const { return FCGI_HEADER_LEN + size_t{content_length} + padding_length; }
};

// The header at the start of `bytes`. REQUIRES: bytes.size() >= FCGI_HEADER_LEN.
RecordHeader ParseRecordHeader(std::string_view bytes);

// The content a record may carry, the largest multiple of 8 below 64 KiB
// (longer data goes out as several records).
constexpr size_t kMaxRecordContent = 65528;

// Writes the 8-byte header of a record of `type` for `request_id` with
// `content_length` bytes of content and no padding into `out`.
// REQUIRES: content_length <= 65535.
void EncodeRecordHeader(char (&out)[FCGI_HEADER_LEN], uint8_t type, uint16_t request_id,
                        size_t content_length);

// Appends the 8-byte header of a record of `type` for `request_id` with
// `content_length` bytes of content and no padding.
// REQUIRES: content_length <= 65535.
void AppendRecordHeader(std::string& out, uint8_t type, uint16_t request_id,
                        size_t content_length);

// Appends FCGI_END_REQUEST for `request_id` with `protocol_status`
// (FCGI_REQUEST_COMPLETE, FCGI_CANT_MPX_CONN, FCGI_UNKNOWN_ROLE...).
void AppendEndRequest(std::string& out, uint16_t request_id, uint8_t protocol_status,
                      uint32_t app_status = 0);

// Decodes the name-value pairs of `content` (PARAMS, GET_VALUES) into
// `pairs`, as views into `content`. Returns false, with the pairs decoded
// so far, when a length runs past the end.
bool ParseNameValuePairs(std::string_view content, std::vector<Param>& pairs);

}  // namespace shoal::protocols
