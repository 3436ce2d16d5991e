// Checks of the test harness itself, so that a failure elsewhere points at
// shoal and not at the tools used to test it.
#include <unistd.h>

#include <sys/socket.h>

#include <gtest/gtest.h>

#include <filesystem>
#include <future>
#include <set>
#include <string>

#include "support/child_process.h"
#include "support/http_client.h"
#include "support/loopback.h"
#include "support/nginx_conf.h"
#include "support/nginx_process.h"
#include "support/paths.h"
#include "support/served_app.h"
#include "support/temp_dir.h"

namespace shoal::tests {
namespace {

TEST(NginxConfTemplate, RendersEveryPlaceholderAndOnlyAsRootAddsUser) {
  std::string text = ReadFileOrEmpty(NginxTemplate());
  ASSERT_FALSE(text.empty()) << "cannot read " << NginxTemplate();
  NginxConfValues values{.listen = "127.0.0.1:8000", .socket = "/run/x.sock", .prefix = "/run/p"};

  std::string rendered = RenderNginxConf(text, values);
  std::string as_root = RenderNginxConf(text, {.listen = "l", .socket = "s", .prefix = "p",
                                              .as_root = true});

  EXPECT_EQ(rendered.find('@'), std::string::npos);
  EXPECT_NE(rendered.find("listen 127.0.0.1:8000;"), std::string::npos);
  EXPECT_NE(rendered.find("fastcgi_pass unix:/run/x.sock;"), std::string::npos);
  EXPECT_NE(rendered.find("pid /run/p/nginx.pid;"), std::string::npos);
  EXPECT_EQ(rendered.find("\nuser "), std::string::npos);
  EXPECT_TRUE(as_root.starts_with("user root;\n"));
  // A template naming its own user (stock Debian's www-data) keeps it alone.
  std::string own_user = RenderNginxConf("user www-data;\n" + text,
                                         {.listen = "l", .socket = "s", .prefix = "p",
                                          .as_root = true});
  EXPECT_TRUE(own_user.starts_with("user www-data;\n"));
  EXPECT_EQ(own_user.find("\nuser root;"), std::string::npos);
}

// conf/ holds examples the tests run, and nothing else: each file is a
// front end's template (FrontEndTemplate, run by the suites over
// kAllFrontEnds) or one of the few a test names itself. A new example
// needs a test that runs it, and a place here.
TEST(ConfExamples, EveryFileInConfIsATemplateTheTestsRun) {
  std::set<std::filesystem::path> run{
      ApacheBalancerTemplate(),                           // apache_test.cc
      SourceDir() / "conf" / "nginx-fastcgi-tls.conf",    // gateway_test.cc
      SourceDir() / "conf" / "nginx-fastcgi-http2.conf",  // http2_test.cc
      SourceDir() / "conf" / "apache-fcgid.conf",         // inherited_socket_test.cc
  };
  for (FrontEnd front_end : kAllFrontEnds) run.insert(FrontEndTemplate(front_end));

  int files = 0;
  for (const auto& entry : std::filesystem::directory_iterator(SourceDir() / "conf")) {
    ++files;
    EXPECT_TRUE(run.contains(entry.path())) << entry.path() << " is run by no test";
  }
  EXPECT_EQ(files, static_cast<int>(run.size())) << "a template the tests run is missing";
}

// nginx from the rendered template, with nothing behind the socket, answers
// 502: nginx, the template and the HTTP client work without shoal.
TEST(Harness, NginxAnswersBadGatewayWhenNothingListensOnTheSocket) {
  TempDir dir("shoal-harness");
  NginxProcess nginx(dir.path(), dir / "absent.sock", FindFreeLoopbackPort());

  HttpResponse response = HttpGet(nginx.port(), "/anything");

  EXPECT_EQ(response.status, 502) << nginx.Diagnostics();
  EXPECT_TRUE(response.Header("server").value_or("").starts_with("nginx"));
}

// Serves one connection on `listener`: reads the request head, sends
// `response` as it is, then reads until the client closes (closing with
// unread data would reset the connection). Returns the request head.
std::string AnswerOnce(LoopbackListener& listener, const std::string& response) {
  Fd connection = listener.Accept(std::chrono::seconds(5));
  if (!connection.valid()) return "";
  std::string request;
  char buffer[4096];
  while (request.find("\r\n\r\n") == std::string::npos) {
    ssize_t got = ::recv(connection.get(), buffer, sizeof buffer, 0);
    if (got <= 0) break;
    request.append(buffer, static_cast<size_t>(got));
  }
  ::send(connection.get(), response.data(), response.size(), MSG_NOSIGNAL);
  ::shutdown(connection.get(), SHUT_WR);
  while (::recv(connection.get(), buffer, sizeof buffer, 0) > 0) {
  }
  return request;
}

TEST(HttpClient, DecodesAChunkedBodyAndFindsHeadersInAnyCase) {
  LoopbackListener listener;
  auto served = std::async(std::launch::async, [&] {
    return AnswerOnce(listener,
                      "HTTP/1.1 201 Created\r\nX-Thing:  a value \r\n"
                      "Transfer-Encoding: chunked\r\n\r\n"
                      "5\r\nhello\r\n7;ext=1\r\n, world\r\n0\r\nTrailer: x\r\n\r\n");
  });

  HttpResponse response = HttpGet(listener.port(), "/path?q=1");

  EXPECT_EQ(response.status, 201);
  EXPECT_EQ(response.body, "hello, world");
  EXPECT_EQ(response.Header("x-thing").value_or("?"), "a value");
  EXPECT_FALSE(response.Header("Content-Length").has_value());
  std::string request = served.get();
  EXPECT_TRUE(request.starts_with("GET /path?q=1 HTTP/1.1\r\n")) << request;
  EXPECT_NE(request.find("Connection: close\r\n"), std::string::npos) << request;
}

TEST(HttpClient, ReadsABodyWithoutLengthToTheEndOfTheConnection) {
  LoopbackListener listener;
  auto served = std::async(std::launch::async, [&] {
    return AnswerOnce(listener, "HTTP/1.0 200 OK\r\n\r\nuntil close");
  });

  HttpResponse response = HttpPost(listener.port(), "/", "payload");

  EXPECT_EQ(response.status, 200);
  EXPECT_EQ(response.body, "until close");
  EXPECT_NE(served.get().find("Content-Length: 7\r\n"), std::string::npos);
}

TEST(HttpClient, ServerThatNeverAnswersFailsWithinTheTimeout) {
  LoopbackListener listener;  // accepts into its backlog, never answers

  auto started = std::chrono::steady_clock::now();
  EXPECT_THROW(HttpGet(listener.port(), "/", std::chrono::milliseconds(300)), std::runtime_error);
  EXPECT_LT(std::chrono::steady_clock::now() - started, std::chrono::seconds(3));
}

}  // namespace
}  // namespace shoal::tests
