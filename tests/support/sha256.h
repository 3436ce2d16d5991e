// Sha256Hex: the SHA-256 of a byte string, for checking what an app received.
//
// A plain FIPS 180-4 implementation, so the integration tests need no crypto
// library. Pure function; thread-safe.
#pragma once

#include <string>
#include <string_view>

namespace shoal::tests {

// Returns the SHA-256 digest of `data` as 64 lowercase hex digits.
std::string Sha256Hex(std::string_view data);

}  // namespace shoal::tests
