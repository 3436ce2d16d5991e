// AJP13 FORWARD_REQUEST: parsing, and its mapping to CGI params.
//
// Pure functions over bytes, so they can be tested and fuzzed alone. The
// mapping follows what Apache's mod_proxy_ajp sends (see
// ../shared/research/protocols.md §4): AJP carries no SCRIPT_NAME or
// PATH_INFO (mounting comes from --script-name), and attributes are mapped by
// name to fixed keys, so no attribute can overwrite a CGI key shoal sets
// (flup let one replace PATH_INFO). An unknown request attribute FOO becomes
// AJP_FOO.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "base/status.h"

namespace shoal::protocols::ajp {

using Pairs = std::vector<std::pair<std::string, std::string>>;

struct ForwardRequest {
  std::string method;
  std::string protocol;
  std::string uri;  // %-encoded path, no query
  std::string remote_addr;
  std::optional<std::string> remote_host;
  std::string server_name;
  uint16_t server_port = 0;
  bool is_ssl = false;
  Pairs headers;  // names as Apache sent them (coded ones spelled out)
  std::optional<std::string> remote_user, auth_type, query_string, route, ssl_cert, ssl_cipher,
      ssl_session, secret;
  std::optional<uint16_t> ssl_key_size;
  Pairs request_attributes;  // req_attribute name/value pairs
};

// Parses a FORWARD_REQUEST payload (type byte included). Returns an error
// naming what is malformed: a truncated field, an unknown method, header or
// attribute code.
Result<ForwardRequest> ParseForwardRequest(std::string_view payload);

// The CGI params of a request, in a fixed order.
struct CgiRequest {
  Pairs params;
  std::optional<uint64_t> content_length;  // from Content-Length
  bool chunked = false;                    // Transfer-Encoding was sent
};

// Maps the request to CGI params. Returns an error for a Content-Length
// that is repeated or not a number (request smuggling; Tomcat answers 400).
Result<CgiRequest> ToCgi(const ForwardRequest& request);

}  // namespace shoal::protocols::ajp
