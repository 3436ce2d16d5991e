// Fuzz target: a stream of FastCGI records decoded as FastCgiConnection
// decodes them, without a socket: ParseRecordHeader for each record,
// management records (request id 0) answered with ManagementReply, and each
// request's PARAMS stream gathered and decoded with ParseNameValuePairs at
// its empty record. The input is what a web server sends on a connection
// (the same seeds as fastcgi_connection).
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <vector>

#include "protocols/fastcgi_management.h"
#include "protocols/fastcgi_records.h"

using shoal::protocols::Param;
using shoal::protocols::RecordHeader;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view input(reinterpret_cast<const char*>(data), size);
  const shoal::protocols::FastCgiLimits limits{.max_conns = 8, .max_reqs = 2};
  std::string params_block;
  std::vector<Param> params;
  while (input.size() >= FCGI_HEADER_LEN) {
    RecordHeader header = shoal::protocols::ParseRecordHeader(input);
    if (header.version != FCGI_VERSION_1 || input.size() < header.record_size()) break;
    std::string_view content = input.substr(FCGI_HEADER_LEN, header.content_length);
    if (header.request_id == 0) {
      std::string reply = shoal::protocols::ManagementReply(header.type, content, limits);
      if (reply.size() < FCGI_HEADER_LEN) std::abort();  // always a whole record
      RecordHeader answer = shoal::protocols::ParseRecordHeader(reply);
      if (answer.record_size() != reply.size()) std::abort();
    } else if (header.type == FCGI_PARAMS && !content.empty()) {
      params_block.append(content);
    } else if (header.type == FCGI_PARAMS) {
      params.clear();
      shoal::protocols::ParseNameValuePairs(params_block, params);
      params_block.clear();
    }
    input.remove_prefix(header.record_size());
  }
  return 0;
}
