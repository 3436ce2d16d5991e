// A real Flask 2.2 app (tests/apps/flask_app.py), served unmodified behind
// each front end (kAllFrontEnds): forms, a large multipart upload, JSON,
// redirects, cookies and a streamed response come back as Flask meant them.
#include <gtest/gtest.h>

#include <optional>
#include <random>
#include <string>
#include <vector>

#include "support/test_data.h"
#include "support/serving_fixture.h"
#include "support/sha256.h"

namespace shoal::tests {
namespace {

using namespace std::chrono_literals;

class FlaskTest : public FrontEndTest {
 protected:
  ServedApp& ServeFlask() { return Serve({.app = "flask_app:app", .front_end = GetParam()}); }
  // The page `path` of the app: "/x", or "/app/x" behind lighttpd, whose
  // example config mounts the app there (FrontEndPrefix).
  std::string Path(const std::string& path) const { return FrontEndPrefix(GetParam()) + path; }
};

TEST_P(FlaskTest, UrlencodedFormFieldsComeBackDecoded) {
  ServedApp& served = ServeFlask();
  // A repeated name, an escaped '&' and '=', '+' for space, UTF-8, an empty value.
  const std::string body = "tag=first&name=Ada+Lovelace&city=Z%C3%BCrich&expr=a%26b%3Dc"
                           "&empty=&tag=second";

  HttpResponse response =
      served.Request("POST", Path("/form"), {{"Content-Type", "application/x-www-form-urlencoded"}},
                     body);

  EXPECT_EQ(response.status, 200);
  EXPECT_EQ(response.Header("Content-Type").value_or(""), "text/plain; charset=utf-8");
  // Werkzeug's MultiDict lists a repeated name's values together, at its first place.
  EXPECT_EQ(response.body,
            "tag=first\ntag=second\nname=Ada Lovelace\ncity=Z\xC3\xBCrich\nexpr=a&b=c\nempty=\n");
}

TEST_P(FlaskTest, MultipartUploadOfTenMebibytesArrivesWithTheSameSizeAndSha256) {
  ServedApp& served = ServeFlask();
  const std::string file = RandomBytes(10 << 20, 20240612);
  const std::string boundary = "shoal-boundary-5d1f0c9e7b2a4e63";
  ASSERT_EQ(file.find("--" + boundary), std::string::npos);
  std::string body;
  body += "--" + boundary + "\r\n";
  body += "Content-Disposition: form-data; name=\"note\"\r\n\r\n";
  body += "ten mebibytes\r\n";
  body += "--" + boundary + "\r\n";
  body += "Content-Disposition: form-data; name=\"file\"; filename=\"random.bin\"\r\n";
  body += "Content-Type: application/octet-stream\r\n\r\n";
  body += file;
  body += "\r\n--" + boundary + "--\r\n";

  HttpResponse response =
      served.Request("POST", Path("/upload"),
                     {{"Content-Type", "multipart/form-data; boundary=" + boundary}}, body, 30s);

  EXPECT_EQ(response.status, 200);
  EXPECT_EQ(response.Header("Content-Type").value_or(""), "application/json");
  // Flask's JSON is compact with sorted keys, so the exact text is known.
  EXPECT_EQ(response.body, "{\"filename\":\"random.bin\",\"note\":\"ten mebibytes\",\"sha256\":\"" +
                               Sha256Hex(file) + "\",\"size\":" + std::to_string(file.size()) +
                               "}\n");
}

TEST_P(FlaskTest, JsonPostIsAnsweredWithJsonComputedFromIt) {
  ServedApp& served = ServeFlask();
  const std::string body = R"({"name": "Zo)" "\xC3\xAB" R"(", "numbers": [1, 2, 3.5], "flag": false})";

  HttpResponse response =
      served.Request("POST", Path("/json"), {{"Content-Type", "application/json"}}, body);

  EXPECT_EQ(response.status, 200);
  EXPECT_EQ(response.Header("Content-Type").value_or(""), "application/json");
  // count and sum of the numbers, the name decoded from UTF-8 (re-escaped by
  // Flask as \u00eb), the flag parsed as a boolean and negated.
  EXPECT_EQ(response.body,
            R"({"count":3,"flag":true,"greeting":"hello, Zo\u00eb","sum":6.5})" "\n");
}

TEST_P(FlaskTest, RedirectGives302WithLocationThatThenServesTheTarget) {
  ServedApp& served = ServeFlask();

  HttpResponse redirect = served.Get(Path("/redirect"));

  EXPECT_EQ(redirect.status, 302);
  std::string location = redirect.Header("Location").value_or("");
  ASSERT_EQ(location, Path("/landing?from=redirect"));
  HttpResponse landed = served.Get(location);
  EXPECT_EQ(landed.status, 200);
  EXPECT_EQ(landed.body, "landed from redirect");
}

TEST_P(FlaskTest, CookiesSetByOneResponseAreSentBackAndEchoed) {
  ServedApp& served = ServeFlask();

  HttpResponse set = served.Get(Path("/cookie/set?flavour=oatmeal"));

  ASSERT_EQ(set.status, 200);
  // Two Set-Cookie headers: the plain cookie and Flask's signed session.
  std::vector<std::string> set_cookies = set.Headers("Set-Cookie");
  std::string shown_cookies;
  for (const std::string& cookie : set_cookies) shown_cookies += "\n  " + cookie;
  EXPECT_EQ(set_cookies.size(), 2u) << shown_cookies;
  std::optional<std::string> flavour = set.SetCookie("flavour");
  std::optional<std::string> session = set.SetCookie("session");
  ASSERT_TRUE(flavour && session) << "Set-Cookie headers:" << shown_cookies;
  EXPECT_EQ(*flavour, "oatmeal");
  HttpResponse shown = served.Request(
      "GET", Path("/cookie/show"), {{"Cookie", "flavour=" + *flavour + "; session=" + *session}});
  EXPECT_EQ(shown.status, 200);
  EXPECT_EQ(shown.body, "cookie=oatmeal session=oatmeal\n");
  // Without the cookies the app sees neither.
  EXPECT_EQ(served.Get(Path("/cookie/show")).body, "cookie=(none) session=(none)\n");
}

TEST_P(FlaskTest, StreamedResponseArrivesCompleteAndInOrder) {
  ServedApp& served = ServeFlask();
  constexpr int kChunks = 64;
  constexpr size_t kChunkSize = 4096;
  std::string expected;
  for (int i = 0; i < kChunks; ++i) {
    std::string head = std::to_string(i) + ":";
    expected += head + std::string(kChunkSize - head.size() - 1, 'x') + "\n";
  }

  HttpResponse response = served.Get(Path("/stream?chunks=64&size=4096"), 20s);

  EXPECT_EQ(response.status, 200);
  // No length was known in advance, so the web server sends it chunked.
  EXPECT_EQ(response.Header("Content-Length"), std::nullopt);
  EXPECT_EQ(response.Header("Transfer-Encoding").value_or(""), "chunked");
  ASSERT_EQ(response.body.size(), expected.size());
  EXPECT_TRUE(response.body == expected) << "chunks out of order or altered";
}

INSTANTIATE_TEST_SUITE_P(Protocols, FlaskTest, testing::ValuesIn(kAllFrontEnds),
                         FrontEndTestName);

}  // namespace
}  // namespace shoal::tests
