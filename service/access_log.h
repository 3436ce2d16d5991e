// The access log's line: one request in Apache's combined format,
//   %h %l %u %t "%r" %>s %b "%{Referer}i" "%{User-agent}i"
// e.g. `127.0.0.1 - - [02/Dec/2026:14:52:21 +0000] "GET /a?b=1 HTTP/1.1" 200 17 "-" "curl/7.88"`.
//
// The worker fills an AccessRecord from the request's CGI params and the
// response it sent, after the response (supervisor/worker.cc), and writes
// the line in one write(2) (service/log_file.h). Text fields are escaped as
// Apache's ap_escape_logitem does (`"` and `\` get a backslash; \b \n \r \t
// \v as such; other bytes that are not printable ASCII as \xhh), so a line
// is always one line; and each field is cut to a share of kMaxAccessLine
// (marked by `...`), so a line never passes PIPE_BUF. Pure: any process,
// any thread.
#pragma once

#include <time.h>

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace shoal::service {

// The longest line FormatAccessLine returns, newline included (PIPE_BUF).
inline constexpr size_t kMaxAccessLine = 4096;

// One request as the access log tells it. The views need only live for the
// call.
struct AccessRecord {
  std::string_view remote_addr = {};  // %h: REMOTE_ADDR as the front end sent it
  std::string_view remote_user = {};  // %u: REMOTE_USER; empty: `-`
  time_t time = 0;                    // %t: when the request came, shown in local time
  std::string_view method = {};       // REQUEST_METHOD
  // %r's target: REQUEST_URI as the front end sent it; if it sent none,
  // SCRIPT_NAME + PATH_INFO + `?` QUERY_STRING.
  std::string_view request_uri = {};
  std::string_view script_name = {};
  std::string_view path_info = {};
  std::string_view query_string = {};
  std::string_view protocol = {};     // SERVER_PROTOCOL
  int status = 0;                     // %>s; 0 (no response was started) shows as `-`
  uint64_t body_bytes = 0;            // %b: bytes of body sent; 0 shows as `-`
  std::string_view referer = {};      // HTTP_REFERER; empty: `-`
  std::string_view user_agent = {};   // HTTP_USER_AGENT; empty: `-`
};

// The record's line, newline included, at most kMaxAccessLine bytes.
std::string FormatAccessLine(const AccessRecord& record);

// Appends `text` to `out` escaped as Apache escapes log items, stopping
// (and appending "...") before the escaped text would pass `limit` bytes.
void AppendEscaped(std::string& out, std::string_view text, size_t limit);

}  // namespace shoal::service
