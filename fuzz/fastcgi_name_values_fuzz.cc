// Fuzz target: ParseNameValuePairs (protocols/fastcgi_records.h), a PARAMS
// or GET_VALUES stream's name-value pairs with their 1- and 4-byte lengths,
// then RejoinCookies as FastCgiConnection runs it on the params.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <vector>

#include "protocols/cgi_params.h"
#include "protocols/fastcgi_records.h"

using shoal::protocols::Param;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view content(reinterpret_cast<const char*>(data), size);
  std::vector<Param> pairs;
  shoal::protocols::ParseNameValuePairs(content, pairs);
  // Every pair decoded, whole or not, is a view inside the content.
  for (const Param& p : pairs) {
    if (p.name.data() < content.data() ||
        p.value.data() + p.value.size() > content.data() + content.size()) {
      std::abort();
    }
  }
  std::string cookies;
  shoal::protocols::RejoinCookies(pairs, cookies);
  return 0;
}
