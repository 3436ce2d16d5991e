// A raw FastCGI client: just enough to talk to shoal the way a web server
// does, for tests that need to do what nginx never does (management
// records, holding a connection open, aborting).
#pragma once

#include <chrono>
#include <string>
#include <utility>
#include <vector>

#include "support/fd.h"

namespace shoal::tests::fastcgi {

// One record: version 1, `type`, `request_id`, `content`, padded to 8.
std::string Record(int type, std::string_view content, int request_id = 1);

// A whole GET request for `uri` (BEGIN_REQUEST, PARAMS, empty STDIN).
std::string GetRequest(const std::string& uri, bool keep_conn, int request_id = 1);

// FCGI_GET_VALUES asking for `names`.
std::string GetValues(const std::vector<std::string>& names);

// The records in `wire` as (type, content) pairs.
std::vector<std::pair<int, std::string>> Records(const std::string& wire);

// Reads from `fd` until an END_REQUEST record (or, with `until_records`,
// that many records) has arrived, EOF, or `timeout`. Returns what was read.
std::string ReadResponse(int fd, std::chrono::milliseconds timeout, size_t until_records = 0);

// Connects to a unix socket; an invalid Fd on failure.
Fd ConnectUnix(const std::string& path);

}  // namespace shoal::tests::fastcgi
