#include "protocols/fastcgi_management.h"

#include <fastcgi.h>

#include <vector>

#include "protocols/fastcgi_records.h"

namespace shoal::protocols {
namespace {

void AppendPair(std::string& out, std::string_view name, std::string_view value) {
  out.push_back(static_cast<char>(name.size()));  // names and values here are short
  out.push_back(static_cast<char>(value.size()));
  out.append(name).append(value);
}

std::string Record(uint8_t type, std::string_view content) {
  std::string record;
  AppendRecordHeader(record, type, 0, content.size());
  record += content;
  return record;
}

}  // namespace

std::string ManagementReply(uint8_t type, std::string_view content, const FastCgiLimits& limits) {
  if (type != FCGI_GET_VALUES) {
    std::string body(8, '\0');
    body[0] = static_cast<char>(type);
    return Record(FCGI_UNKNOWN_TYPE, body);
  }
  std::vector<Param> asked;
  ParseNameValuePairs(content, asked);  // a malformed pair ends the list where it starts
  std::string values;
  for (const Param& pair : asked) {
    if (pair.name == FCGI_MAX_CONNS) {
      AppendPair(values, pair.name, std::to_string(limits.max_conns));
    } else if (pair.name == FCGI_MAX_REQS) {
      AppendPair(values, pair.name, std::to_string(limits.max_reqs));
    } else if (pair.name == FCGI_MPXS_CONNS) {
      AppendPair(values, pair.name, "0");
    }
  }
  return Record(FCGI_GET_VALUES_RESULT, values);
}

}  // namespace shoal::protocols
