// Responses that must have no body, behind every front end: HEAD, 204, 304
// (and 1xx) answered with a Content-Length and no body, as Flask, werkzeug
// and Radicale answer them, reach the client with their headers, length
// included; a body the app yields for them is dropped. A GET answered short
// of its Content-Length is still a failure.
#include <gtest/gtest.h>

#include <filesystem>
#include <string>

#include "support/paths.h"
#include "support/serving_fixture.h"
#include "support/temp_dir.h"
#include "support/wait.h"

namespace shoal::tests {
namespace {

constexpr char kAborted[] = "response shorter than its Content-Length";

class BodylessResponseTest : public FrontEndTest {
 protected:
  // probe:raw_app, whose /bodyless route answers as its query says.
  ServedApp& ServeRaw() {
    return Serve({.app = "probe:raw_app", .workers = 1, .front_end = GetParam()});
  }
  std::string Bodyless(const std::string& query) const {
    return FrontEndPrefix(GetParam()) + "/bodyless?" + query;
  }
  bool Logged(const std::string& part) const {
    return served_->shoal().Log().find(part) != std::string::npos;
  }
};

TEST_P(BodylessResponseTest, HeadKeepsTheLengthOfItsGetAndSendsNoBody) {
  ServedApp& served = ServeRaw();
  TempDir markers("shoal-bodyless");

  for (std::string body : {"none", "list", "yield"}) {
    SCOPED_TRACE("the app's body: " + body);
    const std::filesystem::path closed = markers / ("closed-" + body);
    HttpResponse response = served.Request(
        "HEAD", Bodyless("length=264&body=" + body + "&marker=" + closed.string()), {});
    EXPECT_EQ(response.status, 200);
    EXPECT_EQ(response.Header("Content-Length").value_or("<none>"), "264");
    EXPECT_EQ(response.Header("ETag").value_or("<none>"), "\"v1\"");
    EXPECT_EQ(response.body, "");
    if (body == "yield") {
      EXPECT_TRUE(WaitUntil(std::chrono::seconds(2), [&] { return std::filesystem::exists(closed); }))
          << "close() was not called";
    }
  }
  // The GET it stands for still comes whole.
  HttpResponse get = served.Get(Bodyless("length=264&body=list"));
  EXPECT_EQ(get.status, 200);
  EXPECT_EQ(get.body, std::string(264, 'b'));
  EXPECT_FALSE(Logged(kAborted)) << served.shoal().Log();
}

TEST_P(BodylessResponseTest, NotModifiedAndNoContentPassWithTheirHeaders) {
  ServedApp& served = ServeRaw();

  for (std::string body : {"none", "list"}) {
    SCOPED_TRACE("the app's body: " + body);
    HttpResponse not_modified =
        served.Request("GET", Bodyless("status=304&length=264&body=" + body), {{"If-None-Match", "\"v1\""}});
    EXPECT_EQ(not_modified.status, 304);
    EXPECT_EQ(not_modified.Header("ETag").value_or("<none>"), "\"v1\"");
    EXPECT_EQ(not_modified.body, "");

    HttpResponse no_content = served.Request("DELETE", Bodyless("status=204&body=" + body), {});
    EXPECT_EQ(no_content.status, 204);
    EXPECT_EQ(no_content.Header("ETag").value_or("<none>"), "\"v1\"");
    EXPECT_EQ(no_content.body, "");
  }
  EXPECT_FALSE(Logged(kAborted)) << served.shoal().Log();
  // The worker served each one and is still there for the next.
  EXPECT_EQ(served.Get(Bodyless("length=3&body=list")).body, "bbb");
}

TEST_P(BodylessResponseTest, GetShortOfItsContentLengthIsStillAborted) {
  ServedApp& served = ServeRaw();

  bool complete = false;
  try {
    HttpResponse response = served.Get(Bodyless("length=264&body=none"));
    // The front end must not pass it off as a whole 200 with 264 bytes.
    complete = response.status == 200 && response.body.size() == 264;
  } catch (const std::runtime_error&) {
    // Cut short: the client sees the failure.
  }
  EXPECT_FALSE(complete);
  EXPECT_TRUE(WaitUntil(std::chrono::seconds(5), [&] {
    return Logged("GET " + Bodyless("length=264&body=none") + ": " + kAborted +
                  " (0 of 264 bytes); aborted");
  })) << served.shoal().Log();
}

TEST_P(BodylessResponseTest, FlaskAnswersHeadWithItsLength) {
  ServedApp& served = Serve({.app = "flask_app:app", .workers = 1, .front_end = GetParam()});
  const std::string target = FrontEndPrefix(GetParam()) + "/landing?from=head";

  HttpResponse get = served.Get(target);
  HttpResponse head = served.Request("HEAD", target, {});
  ASSERT_EQ(get.status, 200) << get.body;
  EXPECT_EQ(head.status, 200);
  EXPECT_EQ(head.Header("Content-Length").value_or("<none>"), std::to_string(get.body.size()));
  EXPECT_EQ(head.Header("Content-Type"), get.Header("Content-Type"));
  EXPECT_EQ(head.body, "");
  EXPECT_FALSE(Logged(kAborted)) << served.shoal().Log();
}

INSTANTIATE_TEST_SUITE_P(FrontEnds, BodylessResponseTest, testing::ValuesIn(kAllFrontEnds),
                         FrontEndTestName);

}  // namespace
}  // namespace shoal::tests
