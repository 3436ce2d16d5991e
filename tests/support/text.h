// Small checks on text the tests read back (logs, bodies).
#pragma once

#include <string_view>

namespace shoal::tests {

// Whether `text` holds `part` anywhere.
inline bool Has(std::string_view text, std::string_view part) {
  return text.find(part) != std::string_view::npos;
}

}  // namespace shoal::tests
