#include "protocols/fastcgi_records.h"

namespace shoal::protocols {
namespace {

uint8_t Byte(std::string_view bytes, size_t i) { return static_cast<uint8_t>(bytes[i]); }

// A name-value pair length: 1 byte below 128, else 4 bytes, high bit set.
std::optional<uint32_t> ReadLength(std::string_view& in) {
  if (in.empty()) return std::nullopt;
  uint8_t first = Byte(in, 0);
  if ((first & 0x80) == 0) {
    in.remove_prefix(1);
    return first;
  }
  if (in.size() < 4) return std::nullopt;
  uint32_t length = (uint32_t{first} & 0x7f) << 24 | uint32_t{Byte(in, 1)} << 16 |
                    uint32_t{Byte(in, 2)} << 8 | Byte(in, 3);
  in.remove_prefix(4);
  return length;
}

}  // namespace

RecordHeader ParseRecordHeader(std::string_view bytes) {
  RecordHeader header;
  header.version = Byte(bytes, 0);
  header.type = Byte(bytes, 1);
  header.request_id = static_cast<uint16_t>(Byte(bytes, 2) << 8 | Byte(bytes, 3));
  header.content_length = static_cast<uint16_t>(Byte(bytes, 4) << 8 | Byte(bytes, 5));
  header.padding_length = Byte(bytes, 6);
  return header;
}

void EncodeRecordHeader(char (&out)[FCGI_HEADER_LEN], uint8_t type, uint16_t request_id,
                        size_t content_length) {
  out[0] = static_cast<char>(FCGI_VERSION_1);
  out[1] = static_cast<char>(type);
  out[2] = static_cast<char>(request_id >> 8);
  out[3] = static_cast<char>(request_id & 0xff);
  out[4] = static_cast<char>(content_length >> 8);
  out[5] = static_cast<char>(content_length & 0xff);
  out[6] = 0;  // no padding
  out[7] = 0;
}

void AppendRecordHeader(std::string& out, uint8_t type, uint16_t request_id,
                        size_t content_length) {
  char header[FCGI_HEADER_LEN];
  EncodeRecordHeader(header, type, request_id, content_length);
  out.append(header, sizeof(header));
}

void AppendEndRequest(std::string& out, uint16_t request_id, uint8_t protocol_status,
                      uint32_t app_status) {
  AppendRecordHeader(out, FCGI_END_REQUEST, request_id, 8);
  const char body[8] = {static_cast<char>(app_status >> 24),
                        static_cast<char>(app_status >> 16 & 0xff),
                        static_cast<char>(app_status >> 8 & 0xff),
                        static_cast<char>(app_status & 0xff),
                        static_cast<char>(protocol_status),
                        0, 0, 0};
  out.append(body, sizeof(body));
}

bool ParseNameValuePairs(std::string_view content, std::vector<Param>& pairs) {
  while (!content.empty()) {
    std::optional<uint32_t> name_length = ReadLength(content);
    std::optional<uint32_t> value_length = name_length ? ReadLength(content) : std::nullopt;
    if (!value_length || content.size() < size_t{*name_length} + *value_length) return false;
    pairs.push_back({content.substr(0, *name_length), content.substr(*name_length, *value_length)});
    content.remove_prefix(size_t{*name_length} + *value_length);
  }
  return true;
}

}  // namespace shoal::protocols
