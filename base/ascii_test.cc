#include "base/ascii.h"

#include <gtest/gtest.h>

namespace shoal {
namespace {

TEST(AsciiTest, LowerFoldsOnlyAsciiLetters) {
  EXPECT_EQ(AsciiLower("Content-Type: X_1"), "content-type: x_1");
  // Bytes past ASCII (here UTF-8's "É") are left alone, whatever the locale.
  EXPECT_EQ(AsciiLower("\xC3\x89T\xC3\xA9"), "\xC3\x89t\xC3\xA9");
  EXPECT_EQ(AsciiLower(""), "");
}

TEST(AsciiTest, EqualsIgnoringCaseComparesFoldedBytes) {
  EXPECT_TRUE(EqualsIgnoringAsciiCase("Transfer-Encoding", "transfer-ENCODING"));
  EXPECT_TRUE(EqualsIgnoringAsciiCase("", ""));
  EXPECT_FALSE(EqualsIgnoringAsciiCase("Cookie", "Cookie2"));
  EXPECT_FALSE(EqualsIgnoringAsciiCase("Cookie", "Cookiz"));
  // '@' and '`' sit next to 'A' and 'a' but are not letters.
  EXPECT_FALSE(EqualsIgnoringAsciiCase("@", "`"));
  static_assert(EqualsIgnoringAsciiCase("minSpare", "MINSPARE"));
}

}  // namespace
}  // namespace shoal
