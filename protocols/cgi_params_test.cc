#include "protocols/cgi_params.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace shoal::protocols {
namespace {

TEST(JoinCookiesAsOneHeaderTest, TurnsApachesCommaJoinIntoSemicolons) {
  EXPECT_EQ(JoinCookiesAsOneHeader("a=1, b=2"), "a=1; b=2");
  EXPECT_EQ(JoinCookiesAsOneHeader("a=1; b=2, c=3, d=4"), "a=1; b=2; c=3; d=4");
  EXPECT_EQ(JoinCookiesAsOneHeader("a=1; b=2"), "a=1; b=2");
  // Only the join's ", " (a comma alone is no join Apache makes).
  EXPECT_EQ(JoinCookiesAsOneHeader("a=x,y"), "a=x,y");
  EXPECT_EQ(JoinCookiesAsOneHeader(""), "");
}

TEST(RejoinCookiesTest, RewritesOnlyTheCookieParamAndOnlyWhenJoined) {
  std::vector<Param> params{{"HTTP_X_LIST", "one, two"}, {"HTTP_COOKIE", "a=1, b=2"}};
  std::string storage;

  EXPECT_TRUE(RejoinCookies(params, storage));

  EXPECT_EQ(params[0].value, "one, two");  // other headers keep Apache's ", "
  EXPECT_EQ(params[1].name, "HTTP_COOKIE");
  EXPECT_EQ(params[1].value, "a=1; b=2");
  EXPECT_EQ(params[1].value.data(), storage.data());
}

TEST(RejoinCookiesTest, LeavesAOneHeaderCookieAlone) {
  const std::string value = "a=1; b=2";
  std::vector<Param> params{{"HTTP_COOKIE", value}};
  std::string storage;

  EXPECT_FALSE(RejoinCookies(params, storage));
  EXPECT_EQ(params[0].value.data(), value.data()) << "copied for nothing";
  std::vector<Param> none;
  EXPECT_FALSE(RejoinCookies(none, storage));
}

}  // namespace
}  // namespace shoal::protocols
