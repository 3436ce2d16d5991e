#include "service/log_timestamp.h"

#include <algorithm>
#include <cstdint>
#include <cstdio>

namespace shoal::service {
namespace {

// TAI64 labels count from 2^62 at 1970-01-01 00:00:10 TAI; as daemontools
// does, the UTC seconds are taken as TAI less ten (leap seconds ignored).
constexpr uint64_t kTai64Epoch = (uint64_t{1} << 62) + 10;

}  // namespace

std::string_view FormatLogTimestamp(LogTimestamps style, const timespec& now,
                                    char (&buffer)[kMaxLogTimestamp]) {
  int length = 0;
  switch (style) {
    case LogTimestamps::kNone:
      return {};
    case LogTimestamps::kTai64n:
      length = std::snprintf(buffer, sizeof(buffer), "@%016llx%08lx ",
                             static_cast<unsigned long long>(kTai64Epoch +
                                                             static_cast<uint64_t>(now.tv_sec)),
                             static_cast<unsigned long>(now.tv_nsec));
      break;
    case LogTimestamps::kIso8601: {
      tm utc{};
      gmtime_r(&now.tv_sec, &utc);
      length = std::snprintf(buffer, sizeof(buffer), "%04d-%02d-%02dT%02d:%02d:%02d.%06ldZ ",
                             utc.tm_year + 1900, utc.tm_mon + 1, utc.tm_mday, utc.tm_hour,
                             utc.tm_min, utc.tm_sec, now.tv_nsec / 1000);
      break;
    }
  }
  if (length <= 0) return {};
  return std::string_view(buffer, std::min<size_t>(static_cast<size_t>(length), sizeof(buffer) - 1));
}

}  // namespace shoal::service
