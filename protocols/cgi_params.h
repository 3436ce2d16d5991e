// Rules for the CGI params a web server sends, shared by FastCGI, SCGI and
// AJP13 (which builds the same params from its own request packet).
//
// Pure functions over views, run in the worker for each request; they copy
// a value only when it must change.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "protocols/exchange.h"

namespace shoal::protocols {

// Apache joins a Cookie header sent more than once with ", " (as it joins
// any repeated header) before FastCGI, SCGI or AJP carries it, and cookie
// parsers (http.cookies, Django's, Werkzeug's) split on ";" only: "a=1, b=2"
// reads as one cookie a="1, b=2". A cookie's name and value cannot hold a
// comma or a space (RFC 6265 4.1.1), so ", " is always such a join. Returns
// `value` with each ", " made "; ", as one Cookie header would have it.
std::string JoinCookiesAsOneHeader(std::string_view value);

// If `params` has an HTTP_COOKIE whose value holds ", ", fills `storage`
// with JoinCookiesAsOneHeader of it and points that param's value at
// `storage`; returns whether it did. Other params, and a cookie value
// without ", ", are left as they are (no copy). The changed view lives as
// long as `storage` is neither changed nor destroyed.
bool RejoinCookies(std::vector<Param>& params, std::string& storage);

}  // namespace shoal::protocols
