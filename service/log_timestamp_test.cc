#include "service/log_timestamp.h"

#include <string>

#include <gtest/gtest.h>

namespace shoal::service {
namespace {

std::string Format(LogTimestamps style, time_t seconds, long nanoseconds) {
  char buffer[kMaxLogTimestamp];
  return std::string(FormatLogTimestamp(style, timespec{seconds, nanoseconds}, buffer));
}

constexpr time_t k20261202T145221 = 1796223141;

TEST(LogTimestampTest, NoneIsEmpty) {
  EXPECT_EQ(Format(LogTimestamps::kNone, k20261202T145221, 5), "");
}

TEST(LogTimestampTest, Tai64nIsMultilogsLabel) {
  // 2^62 + 10 + seconds, then nanoseconds: 16 + 8 lowercase hex digits.
  EXPECT_EQ(Format(LogTimestamps::kTai64n, 0, 0), "@400000000000000a00000000 ");
  EXPECT_EQ(Format(LogTimestamps::kTai64n, k20261202T145221, 123456789),
            "@400000006b1030af075bcd15 ");
  EXPECT_EQ(Format(LogTimestamps::kTai64n, k20261202T145221, 999999999),
            "@400000006b1030af3b9ac9ff ");
}

TEST(LogTimestampTest, Iso8601IsUtcToTheMicrosecond) {
  EXPECT_EQ(Format(LogTimestamps::kIso8601, k20261202T145221, 123456789),
            "2026-12-02T14:52:21.123456Z ");
  EXPECT_EQ(Format(LogTimestamps::kIso8601, 0, 999), "1970-01-01T00:00:00.000000Z ");
}

}  // namespace
}  // namespace shoal::service
