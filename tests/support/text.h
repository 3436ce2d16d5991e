// Small checks on text the tests read back (logs, bodies).
#pragma once

#include <cstddef>
#include <string_view>

namespace shoal::tests {

// Whether `text` holds `part` anywhere.
inline bool Has(std::string_view text, std::string_view part) {
  return text.find(part) != std::string_view::npos;
}

// How many times `part` occurs in `text` (overlaps counted).
inline size_t CountOf(std::string_view text, std::string_view part) {
  size_t count = 0;
  for (size_t at = text.find(part); at != std::string_view::npos; at = text.find(part, at + 1)) {
    ++count;
  }
  return count;
}

}  // namespace shoal::tests
