#include "base/status.h"

#include <cerrno>

#include <gtest/gtest.h>

namespace shoal {
namespace {

TEST(StatusTest, DefaultIsOk) {
  Status s;
  EXPECT_TRUE(s.ok());
  EXPECT_EQ(s.message(), "");
}

TEST(StatusTest, PosixErrorNamesTheCallAndTheErrno) {
  Status s = PosixError("bind(127.0.0.1:80)", EADDRINUSE);
  EXPECT_FALSE(s.ok());
  EXPECT_EQ(s.message(), "bind(127.0.0.1:80) failed: Address already in use");
}

TEST(ResultTest, HoldsValueOrStatus) {
  Result<int> good(42);
  ASSERT_TRUE(good.ok());
  EXPECT_EQ(good.value(), 42);
  Result<int> bad(Status::Error("nope"));
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().message(), "nope");
}

}  // namespace
}  // namespace shoal
