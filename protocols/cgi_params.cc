#include "protocols/cgi_params.h"

namespace shoal::protocols {

std::string JoinCookiesAsOneHeader(std::string_view value) {
  std::string cookies(value);
  for (size_t at = cookies.find(", "); at != std::string::npos; at = cookies.find(", ", at)) {
    cookies[at] = ';';
  }
  return cookies;
}

bool RejoinCookies(std::vector<Param>& params, std::string& storage) {
  for (Param& param : params) {
    if (param.name != "HTTP_COOKIE" || param.value.find(", ") == std::string_view::npos) continue;
    storage = JoinCookiesAsOneHeader(param.value);
    param.value = storage;
    return true;
  }
  return false;
}

}  // namespace shoal::protocols
