// ASCII case folding for protocol and option names: header names, flup's
// keywords, runfcgi's words. Not locale-aware on purpose (a header name is
// ASCII whatever the locale says).
#pragma once

#include <algorithm>
#include <string>
#include <string_view>

namespace shoal {

constexpr char AsciiLower(char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; }

// `text` with A-Z folded to a-z, every other byte as it is.
inline std::string AsciiLower(std::string_view text) {
  std::string lower(text);
  std::transform(lower.begin(), lower.end(), lower.begin(), [](char c) { return AsciiLower(c); });
  return lower;
}

// True when `a` and `b` are equal after folding A-Z to a-z.
constexpr bool EqualsIgnoringAsciiCase(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return AsciiLower(x) == AsciiLower(y);
         });
}

}  // namespace shoal
