#include "python/environ.h"

#include <gtest/gtest.h>

#include "python/log_stream.h"
#include "python/test_exchange.h"

namespace shoal::python {
namespace {

std::string Get(PyObject* environ, const char* key) {
  PyObject* value = PyDict_GetItemString(environ, key);
  if (value == nullptr) return "<absent>";
  if (!PyUnicode_Check(value)) return "<not str>";
  PyRef bytes = PyRef::Steal(PyUnicode_AsLatin1String(value));
  return std::string(PyBytes_AS_STRING(bytes.get()), PyBytes_GET_SIZE(bytes.get()));
}

class EnvironTest : public testing::Test {
 protected:
  EnvironBuilder::Built Build(const std::string& mount, const std::string& method,
                              const std::string& uri,
                              std::vector<std::pair<std::string, std::string>> extra = {}) {
    exchange_ = std::make_unique<FakeExchange>(NginxParams(method, uri, std::move(extra)));
    EnvironBuilder builder({mount});
    return builder.Build(exchange_->params(), errors_.get());
  }
  PyRef errors_ = NewLogStream(spdlog::level::err, 2, "wsgi.errors");
  std::unique_ptr<FakeExchange> exchange_;
};

TEST(PercentDecodeTest, DecodesEscapesAndKeepsBadOnes) {
  EXPECT_EQ(PercentDecode("/a%20b/%C3%A9"), "/a b/\xC3\xA9");
  EXPECT_EQ(PercentDecode("/100%"), "/100%");
  EXPECT_EQ(PercentDecode("/x%zz%4"), "/x%zz%4");
  EXPECT_EQ(PercentDecode("/%2F"), "//");
}

TEST(MatchMountTest, LongestPrefixAtASegmentBoundary) {
  std::vector<std::string> prefixes = {"", "/a", "/a/b", "/c"};
  EXPECT_EQ(MatchMount(prefixes, "/"), 0u);
  EXPECT_EQ(MatchMount(prefixes, "/a"), 1u);
  EXPECT_EQ(MatchMount(prefixes, "/a/x"), 1u);
  EXPECT_EQ(MatchMount(prefixes, "/a/b/x"), 2u);
  EXPECT_EQ(MatchMount(prefixes, "/a/bx"), 1u);
  EXPECT_EQ(MatchMount(prefixes, "/cd"), 0u);
  EXPECT_EQ(MatchMount({"/c"}, "/cd"), std::nullopt);
  EXPECT_EQ(MatchMount({"/c"}, ""), std::nullopt);
}

TEST_F(EnvironTest, CgiKeysAreLatin1Strings) {
  auto built = Build("", "GET", "/hello?x=1", {{"HTTP_X_NAME", "caf\xE9"}});
  ASSERT_TRUE(built.environ);
  PyObject* env = built.environ.get();
  EXPECT_EQ(Get(env, "REQUEST_METHOD"), "GET");
  EXPECT_EQ(Get(env, "QUERY_STRING"), "x=1");
  EXPECT_EQ(Get(env, "HTTP_X_NAME"), "caf\xE9");
  EXPECT_EQ(Get(env, "SCRIPT_NAME"), "");
  EXPECT_EQ(Get(env, "PATH_INFO"), "/hello");
  EXPECT_EQ(Get(env, "wsgi.url_scheme"), "http");
  EXPECT_EQ(PyDict_GetItemString(env, "wsgi.multiprocess"), Py_True);
  EXPECT_EQ(PyDict_GetItemString(env, "wsgi.multithread"), Py_False);
  EXPECT_EQ(PyDict_GetItemString(env, "wsgi.run_once"), Py_False);
  EXPECT_EQ(PyDict_GetItemString(env, "wsgi.errors"), errors_.get());
}

TEST_F(EnvironTest, DropsHeadersCgiRemovesAndHttpoxy) {
  auto built = Build("", "POST", "/", {{"CONTENT_TYPE", "text/plain"}, {"CONTENT_LENGTH", "5"},
                                       {"HTTP_CONTENT_TYPE", "text/plain"},
                                       {"HTTP_CONTENT_LENGTH", "5"},
                                       {"HTTP_PROXY", "http://evil:1"}});
  ASSERT_TRUE(built.environ);
  EXPECT_EQ(Get(built.environ.get(), "HTTP_CONTENT_TYPE"), "<absent>");
  EXPECT_EQ(Get(built.environ.get(), "HTTP_CONTENT_LENGTH"), "<absent>");
  EXPECT_EQ(Get(built.environ.get(), "HTTP_PROXY"), "<absent>");
  EXPECT_EQ(Get(built.environ.get(), "CONTENT_TYPE"), "text/plain");
  EXPECT_EQ(built.content_length, 5);
}

TEST_F(EnvironTest, JoinsRepeatedHeaders) {
  auto built = Build("", "GET", "/", {{"HTTP_X_DUP", "one"}, {"HTTP_X_DUP", "two"},
                                      {"HTTP_COOKIE", "a=1"}, {"HTTP_COOKIE", "b=2"}});
  ASSERT_TRUE(built.environ);
  EXPECT_EQ(Get(built.environ.get(), "HTTP_X_DUP"), "one, two");
  EXPECT_EQ(Get(built.environ.get(), "HTTP_COOKIE"), "a=1; b=2");
}

TEST_F(EnvironTest, MountSplitsAtASegmentBoundary) {
  auto inside = Build("/blog", "GET", "/blog/posts/a%20b?p=2");
  ASSERT_TRUE(inside.environ);
  EXPECT_EQ(Get(inside.environ.get(), "SCRIPT_NAME"), "/blog");
  EXPECT_EQ(Get(inside.environ.get(), "PATH_INFO"), "/posts/a b");
  auto root = Build("/blog", "GET", "/blog");
  ASSERT_TRUE(root.environ);
  EXPECT_EQ(Get(root.environ.get(), "SCRIPT_NAME"), "/blog");
  EXPECT_EQ(Get(root.environ.get(), "PATH_INFO"), "");
  auto outside = Build("/blog", "GET", "/blog2/x");
  EXPECT_FALSE(outside.environ);
  EXPECT_EQ(outside.refusal_status, 404);
  EXPECT_NE(outside.refusal.find("/blog2/x"), std::string::npos);
}

TEST_F(EnvironTest, HonoursPathInfoFromTheFrontEnd) {
  auto built = Build("/ignored", "GET", "/app.py/extra",
                     {{"SCRIPT_NAME", "/app.py"}, {"PATH_INFO", "/extra"}});
  ASSERT_TRUE(built.environ);
  EXPECT_EQ(Get(built.environ.get(), "SCRIPT_NAME"), "/app.py");
  EXPECT_EQ(Get(built.environ.get(), "PATH_INFO"), "/extra");
}

TEST_F(EnvironTest, DeeperMountSplitsAFrontEndsSplitAgain) {
  // lighttpd mounted at /app sends its own split; shoal mounts another app
  // at /app/raw.
  exchange_ = std::make_unique<FakeExchange>(
      NginxParams("GET", "/app/raw/write", {{"SCRIPT_NAME", "/app"}, {"PATH_INFO", "/raw/write"}}));
  EnvironBuilder builder({"", "/app/raw"});
  auto deeper = builder.Build(exchange_->params(), errors_.get());
  ASSERT_TRUE(deeper.environ);
  EXPECT_EQ(deeper.mount, 1u);
  EXPECT_EQ(Get(deeper.environ.get(), "SCRIPT_NAME"), "/app/raw");
  EXPECT_EQ(Get(deeper.environ.get(), "PATH_INFO"), "/write");

  exchange_ = std::make_unique<FakeExchange>(
      NginxParams("GET", "/app/x", {{"SCRIPT_NAME", "/app"}, {"PATH_INFO", "/x"}}));
  auto root = builder.Build(exchange_->params(), errors_.get());
  ASSERT_TRUE(root.environ);
  EXPECT_EQ(root.mount, 0u);
  EXPECT_EQ(Get(root.environ.get(), "SCRIPT_NAME"), "/app");  // the front end's split stands
  EXPECT_EQ(Get(root.environ.get(), "PATH_INFO"), "/x");
}

TEST_F(EnvironTest, SchemeFromHttpsOrRequestScheme) {
  auto on = Build("", "GET", "/", {{"HTTPS", "on"}});
  EXPECT_EQ(Get(on.environ.get(), "wsgi.url_scheme"), "https");
  auto scheme = Build("", "GET", "/", {{"REQUEST_SCHEME", "https"}});
  EXPECT_EQ(Get(scheme.environ.get(), "wsgi.url_scheme"), "https");
}

TEST_F(EnvironTest, EmptyServerNameFallsBackToTheHostHeader) {
  auto from_host = Build("", "GET", "/", {{"SERVER_NAME", ""}, {"HTTP_HOST", "example.com:8080"}});
  EXPECT_EQ(Get(from_host.environ.get(), "SERVER_NAME"), "example.com");
  auto v6 = Build("", "GET", "/", {{"SERVER_NAME", ""}, {"HTTP_HOST", "[::1]:8080"}});
  EXPECT_EQ(Get(v6.environ.get(), "SERVER_NAME"), "::1");
  auto kept = Build("", "GET", "/", {{"SERVER_NAME", "configured"}});
  EXPECT_EQ(Get(kept.environ.get(), "SERVER_NAME"), "configured");
}

TEST_F(EnvironTest, RefusesAMalformedContentLength) {
  for (const char* bad : {"12abc", "-5", "+5", " 5", "5 ", "0x10", "99999999999999999999"}) {
    auto built = Build("", "POST", "/", {{"CONTENT_LENGTH", bad}});
    EXPECT_FALSE(built.environ) << bad;
    EXPECT_EQ(built.refusal_status, 400) << bad;
    EXPECT_EQ(built.refusal, std::string("invalid CONTENT_LENGTH '") + bad + "'");
  }
}

TEST_F(EnvironTest, RefusesAContentLengthSentTwice) {
  EnvironBuilder builder({""});
  for (const char* second : {"7", "5"}) {
    FakeExchange exchange({{"REQUEST_METHOD", "POST"}, {"REQUEST_URI", "/"},
                           {"CONTENT_LENGTH", "5"}, {"CONTENT_LENGTH", second}});
    EnvironBuilder::Built built = builder.Build(exchange.params(), errors_.get());
    EXPECT_FALSE(built.environ);
    EXPECT_EQ(built.refusal_status, 400);
    EXPECT_EQ(built.refusal, std::string("CONTENT_LENGTH sent twice ('5', '") + second + "')");
  }
}

// One builder serves a worker's every request, remembering each param
// position's last name and value: nothing of an earlier request may show
// through when names move, values change, or headers come and go.
TEST_F(EnvironTest, AReusedBuilderKeepsNothingFromEarlierRequests) {
  EnvironBuilder builder({""});
  auto build = [&](std::vector<std::pair<std::string, std::string>> extra) {
    exchange_ = std::make_unique<FakeExchange>(NginxParams("GET", "/", std::move(extra)));
    return builder.Build(exchange_->params(), errors_.get());
  };
  auto first = build({{"HTTP_X_A", "one"}, {"HTTP_X_B", "b"}, {"HTTP_COOKIE", "c=1"}});
  ASSERT_TRUE(first.environ);
  EXPECT_EQ(Get(first.environ.get(), "HTTP_X_A"), "one");
  EXPECT_EQ(Get(first.environ.get(), "HTTP_X_B"), "b");

  // Same positions, other names and values; a header repeated with the
  // same one-character value (a str Python shares) is still joined.
  auto second = build({{"HTTP_X_B", "two"}, {"HTTP_X_C", "x"}, {"HTTP_X_C", "x"}});
  ASSERT_TRUE(second.environ);
  EXPECT_EQ(Get(second.environ.get(), "HTTP_X_A"), "<absent>");
  EXPECT_EQ(Get(second.environ.get(), "HTTP_X_B"), "two");
  EXPECT_EQ(Get(second.environ.get(), "HTTP_X_C"), "x, x");
  EXPECT_EQ(Get(second.environ.get(), "HTTP_COOKIE"), "<absent>");
  EXPECT_EQ(Get(first.environ.get(), "HTTP_X_A"), "one") << "an earlier environ changed";

  // Many headers and a long value: past the template's room and the slots'
  // value bound, still whole.
  std::vector<std::pair<std::string, std::string>> many;
  for (int i = 0; i < 150; ++i) many.push_back({"HTTP_X_" + std::to_string(i), std::to_string(i)});
  many.push_back({"HTTP_X_LONG", std::string(1000, 'v')});
  auto third = build(many);
  ASSERT_TRUE(third.environ);
  EXPECT_EQ(Get(third.environ.get(), "HTTP_X_149"), "149");
  EXPECT_EQ(Get(third.environ.get(), "HTTP_X_LONG"), std::string(1000, 'v'));
  EXPECT_EQ(Get(third.environ.get(), "HTTP_X_B"), "<absent>");

  auto fourth = build({{"HTTP_X_A", "again"}});
  ASSERT_TRUE(fourth.environ);
  EXPECT_EQ(Get(fourth.environ.get(), "HTTP_X_A"), "again");
  EXPECT_EQ(Get(fourth.environ.get(), "HTTP_X_0"), "<absent>");
  EXPECT_EQ(Get(fourth.environ.get(), "REQUEST_METHOD"), "GET");
  EXPECT_EQ(Get(fourth.environ.get(), "wsgi.url_scheme"), "http");
}

TEST_F(EnvironTest, PassesTheStdlibValidator) {
  auto built = Build("/blog", "GET", "/blog/x", {{"HTTP_CONTENT_TYPE", "a/b"}});
  ASSERT_TRUE(built.environ);
  PyRef input = PyRef::Steal(PyImport_ImportModule("io"));
  PyRef bytes_io = PyRef::Steal(PyObject_CallMethod(input.get(), "BytesIO", nullptr));
  PyDict_SetItemString(built.environ.get(), "wsgi.input", bytes_io.get());
  PyRef validate = PyRef::Steal(PyImport_ImportModule("wsgiref.validate"));
  ASSERT_TRUE(validate);
  PyRef checked = PyRef::Steal(
      PyObject_CallMethod(validate.get(), "check_environ", "O", built.environ.get()));
  if (!checked) PyErr_Print();
  EXPECT_TRUE(checked);
}

TEST(EnvironExtrasTest, WsgiVarsGoOverTheFrontEndsParamsAndShoalsOwnEntries) {
  PyRef errors = NewLogStream(spdlog::level::err, 2, "wsgi.errors");
  FakeExchange exchange(NginxParams("GET", "/", {{"SERVER_NAME", "front.example"},
                                                 {"HTTP_AUTHORIZATION", "Basic YTpi"}}));
  EnvironBuilder builder({""}, EnvironExtras{.vars = {{"SERVER_NAME", "over.example"},
                                                      {"wsgi.url_scheme", "https"},
                                                      {"myapp.colour", "bl\xE9u"}}});
  for (int request = 0; request < 2; ++request) {  // the second from the reused template
    auto built = builder.Build(exchange.params(), errors.get());
    ASSERT_TRUE(built.environ);
    PyObject* env = built.environ.get();
    EXPECT_EQ(Get(env, "SERVER_NAME"), "over.example");
    EXPECT_EQ(Get(env, "wsgi.url_scheme"), "https");
    EXPECT_EQ(Get(env, "myapp.colour"), "bl\xE9u");
    EXPECT_EQ(Get(env, "HTTP_AUTHORIZATION"), "Basic YTpi");  // passed by default
  }
}

TEST(EnvironExtrasTest, StripAuthorizationLeavesOutOnlyThatHeader) {
  PyRef errors = NewLogStream(spdlog::level::err, 2, "wsgi.errors");
  FakeExchange exchange(NginxParams("GET", "/", {{"HTTP_AUTHORIZATION", "Bearer t"},
                                                 {"HTTP_PROXY_AUTHORIZATION", "Basic x"}}));
  EnvironBuilder builder({""}, EnvironExtras{.strip_authorization = true});
  auto built = builder.Build(exchange.params(), errors.get());
  ASSERT_TRUE(built.environ);
  EXPECT_EQ(Get(built.environ.get(), "HTTP_AUTHORIZATION"), "<absent>");
  EXPECT_EQ(Get(built.environ.get(), "HTTP_PROXY_AUTHORIZATION"), "Basic x");
  EXPECT_EQ(Get(built.environ.get(), "REQUEST_METHOD"), "GET");
}

}  // namespace
}  // namespace shoal::python
