#include "protocols/fastcgi_management.h"

#include <fastcgi.h>

#include <optional>
#include <vector>

namespace shoal::protocols {
namespace {

// A name-value pair length: 1 byte below 128, else 4 bytes, high bit set.
std::optional<uint32_t> ReadLength(std::string_view& in) {
  if (in.empty()) return std::nullopt;
  auto first = static_cast<uint8_t>(in[0]);
  if ((first & 0x80) == 0) {
    in.remove_prefix(1);
    return first;
  }
  if (in.size() < 4) return std::nullopt;
  uint32_t length = (uint32_t{first} & 0x7f) << 24 | uint32_t{static_cast<uint8_t>(in[1])} << 16 |
                    uint32_t{static_cast<uint8_t>(in[2])} << 8 | static_cast<uint8_t>(in[3]);
  in.remove_prefix(4);
  return length;
}

void AppendPair(std::string& out, std::string_view name, std::string_view value) {
  out.push_back(static_cast<char>(name.size()));  // names and values here are short
  out.push_back(static_cast<char>(value.size()));
  out.append(name).append(value);
}

std::string Record(uint8_t type, std::string content) {
  size_t padding = (8 - content.size() % 8) % 8;
  std::string record = {static_cast<char>(FCGI_VERSION_1),   static_cast<char>(type), 0, 0,
                        static_cast<char>(content.size() >> 8), static_cast<char>(content.size() & 0xff),
                        static_cast<char>(padding),            0};
  record += content;
  record.append(padding, '\0');
  return record;
}

}  // namespace

std::string ManagementReply(uint8_t type, std::string_view content, const FastCgiLimits& limits) {
  if (type != FCGI_GET_VALUES) {
    std::string body(8, '\0');
    body[0] = static_cast<char>(type);
    return Record(FCGI_UNKNOWN_TYPE, body);
  }
  std::string values;
  while (!content.empty()) {
    std::optional<uint32_t> name_length = ReadLength(content);
    std::optional<uint32_t> value_length = ReadLength(content);
    if (!name_length || !value_length || content.size() < size_t{*name_length} + *value_length) {
      break;
    }
    std::string_view name = content.substr(0, *name_length);
    content.remove_prefix(size_t{*name_length} + *value_length);
    if (name == FCGI_MAX_CONNS) {
      AppendPair(values, name, std::to_string(limits.max_conns));
    } else if (name == FCGI_MAX_REQS) {
      AppendPair(values, name, std::to_string(limits.max_reqs));
    } else if (name == FCGI_MPXS_CONNS) {
      AppendPair(values, name, "0");
    }
  }
  return Record(FCGI_GET_VALUES_RESULT, values);
}

}  // namespace shoal::protocols
