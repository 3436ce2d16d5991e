#include "service/access_log.h"

#include <stdlib.h>
#include <time.h>

#include <string>

#include <gtest/gtest.h>

namespace shoal::service {
namespace {

constexpr time_t k20261202T145221 = 1796223141;

// Runs the test's formatting in UTC, whatever the machine's zone.
class AccessLogTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const char* tz = getenv("TZ");
    if (tz != nullptr) saved_tz_ = tz;
    had_tz_ = tz != nullptr;
    setenv("TZ", "UTC", 1);
    tzset();
  }
  void TearDown() override {
    if (had_tz_) {
      setenv("TZ", saved_tz_.c_str(), 1);
    } else {
      unsetenv("TZ");
    }
    tzset();
  }

 private:
  std::string saved_tz_;
  bool had_tz_ = false;
};

AccessRecord Typical() {
  return {.remote_addr = "127.0.0.1",
          .time = k20261202T145221,
          .method = "GET",
          .request_uri = "/a/b?c=1",
          .protocol = "HTTP/1.1",
          .status = 200,
          .body_bytes = 17,
          .referer = "http://example.com/",
          .user_agent = "curl/7.88.1"};
}

TEST_F(AccessLogTest, CombinedFormat) {
  EXPECT_EQ(FormatAccessLine(Typical()),
            "127.0.0.1 - - [02/Dec/2026:14:52:21 +0000] \"GET /a/b?c=1 HTTP/1.1\" 200 17 "
            "\"http://example.com/\" \"curl/7.88.1\"\n");
}

TEST_F(AccessLogTest, AbsentFieldsAndNoBodyAreDashes) {
  AccessRecord record = Typical();
  record.body_bytes = 0;
  record.referer = "";
  record.user_agent = "";
  record.remote_user = "alice";
  EXPECT_EQ(FormatAccessLine(record),
            "127.0.0.1 - alice [02/Dec/2026:14:52:21 +0000] \"GET /a/b?c=1 HTTP/1.1\" 200 - "
            "\"-\" \"-\"\n");
  record.status = 0;  // no response was started
  record.remote_addr = "";
  EXPECT_EQ(FormatAccessLine(record),
            "- - alice [02/Dec/2026:14:52:21 +0000] \"GET /a/b?c=1 HTTP/1.1\" - - \"-\" \"-\"\n");
}

TEST_F(AccessLogTest, TargetWithoutRequestUriIsScriptNamePathInfoAndQuery) {
  AccessRecord record = Typical();
  record.request_uri = "";
  record.script_name = "/app";
  record.path_info = "/x y";
  record.query_string = "q=1";
  EXPECT_NE(FormatAccessLine(record).find("\"GET /app/x y?q=1 HTTP/1.1\""), std::string::npos)
      << FormatAccessLine(record);
  record.query_string = "";
  EXPECT_NE(FormatAccessLine(record).find("\"GET /app/x y HTTP/1.1\""), std::string::npos)
      << FormatAccessLine(record);
}

TEST_F(AccessLogTest, LocalTimeCarriesItsOffset) {
  setenv("TZ", "America/New_York", 1);  // EST in December: -0500
  tzset();
  EXPECT_NE(FormatAccessLine(Typical()).find(" [02/Dec/2026:09:52:21 -0500] "), std::string::npos)
      << FormatAccessLine(Typical());
}

TEST_F(AccessLogTest, EscapesAsApacheDoes) {
  AccessRecord record = Typical();
  record.user_agent = std::string_view("a\"b\\c\nd\te\x01\x7f\xc3\xa9", 13);
  record.request_uri = "/\r\n";
  std::string line = FormatAccessLine(record);
  EXPECT_NE(line.find("\"a\\\"b\\\\c\\nd\\te\\x01\\x7f\\xc3\\xa9\"\n"), std::string::npos) << line;
  EXPECT_NE(line.find("\"GET /\\r\\n HTTP/1.1\""), std::string::npos) << line;
  // One line, whatever the input.
  EXPECT_EQ(line.find('\n'), line.size() - 1);
}

TEST_F(AccessLogTest, LongFieldsAreCutSoTheLineFitsPipeBuf) {
  AccessRecord record = Typical();
  const std::string uri = "/" + std::string(10'000, 'u');
  const std::string referer(10'000, 'r');
  const std::string agent(10'000, '"');  // each byte escapes to two
  const std::string user(10'000, 'n');
  record.request_uri = uri;
  record.referer = referer;
  record.user_agent = agent;
  record.remote_user = user;
  std::string line = FormatAccessLine(record);
  EXPECT_LE(line.size(), kMaxAccessLine);
  EXPECT_EQ(line.find('\n'), line.size() - 1);
  // Each field keeps its start and says it was cut; the line keeps its shape.
  EXPECT_NE(line.find("\"GET /uuuu"), std::string::npos);
  EXPECT_NE(line.find("uuu... HTTP/1.1\" 200 17 \"rrr"), std::string::npos) << line.substr(0, 300);
  EXPECT_NE(line.find("rrr...\" \"\\\"\\\""), std::string::npos);
  EXPECT_TRUE(line.ends_with("\\\"...\"\n")) << line.substr(line.size() - 40);
}

TEST(AccessLogEscapeTest, NeverCutsAnEscapeInTwo) {
  for (size_t limit = 4; limit < 20; ++limit) {
    std::string out;
    AppendEscaped(out, std::string(50, '\x01'), limit);
    ASSERT_TRUE(out.ends_with("...")) << limit;
    std::string kept = out.substr(0, out.size() - 3);
    EXPECT_EQ(kept.size() % 4, 0u) << limit << ": " << out;
    EXPECT_LE(out.size(), limit) << limit;
  }
  std::string whole;
  AppendEscaped(whole, "abc", 3);  // fits exactly: no mark
  EXPECT_EQ(whole, "abc");
}

}  // namespace
}  // namespace shoal::service
