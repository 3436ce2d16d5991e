// Requests through nginx to shoal: what comes back for each kind of request.
#include <gtest/gtest.h>

#include <random>
#include <string>

#include "support/paths.h"
#include "support/serving_fixture.h"
#include "support/test_data.h"
#include "support/text.h"
#include "support/wait.h"

namespace shoal::tests {
namespace {

// Where the two strings first differ, for a failure message that stays short.
std::string FirstDifference(const std::string& a, const std::string& b) {
  size_t i = 0;
  while (i < a.size() && i < b.size() && a[i] == b[i]) ++i;
  return "sizes " + std::to_string(a.size()) + " and " + std::to_string(b.size()) +
         ", first difference at byte " + std::to_string(i);
}

TEST_F(ServingTest, HelloExampleAnswersHelloWorldThroughNginx) {
  ServedApp& served = Serve({.app = "hello:app", .chdir = ExamplesDir()});

  HttpResponse response = served.Get("/");

  EXPECT_EQ(response.status, 200);
  EXPECT_EQ(response.body, "Hello, World!\n");
  EXPECT_EQ(response.Header("Content-Type").value_or(""), "text/plain; charset=utf-8");
}

TEST_F(ServingTest, EchoReturnsOneMebibytePostByteForByte) {
  ServedApp& served = Serve();
  const std::string sent = RandomBytes(1 << 20, 20240611);

  HttpResponse response = served.Post("/echo", sent, std::chrono::seconds(30));

  EXPECT_EQ(response.status, 200);
  EXPECT_TRUE(response.body == sent) << FirstDifference(sent, response.body);
}

TEST_F(ServingTest, MissingPageGives404WithTheAppsBody) {
  ServedApp& served = Serve();

  HttpResponse response = served.Get("/missing");

  EXPECT_EQ(response.status, 404);
  EXPECT_EQ(response.body, "no such page: probe\n");
}

TEST_F(ServingTest, ExceptionBeforeHeadersGives500LogsTracebackAndWorkerLivesOn) {
  // One worker, so every request goes to the same process.
  ServedApp& served = Serve({.workers = 1});
  HttpResponse pid_before = served.Get("/pid");
  ASSERT_EQ(pid_before.status, 200);

  HttpResponse failed = served.Get("/raise");

  EXPECT_EQ(failed.status, 500);
  bool logged = WaitUntil(5s, [&] { return Has(served.shoal().Log(), "boom from probe"); });
  std::string log = served.shoal().Log();
  EXPECT_TRUE(logged) << "no 'boom from probe' in the log";
  EXPECT_TRUE(Has(log, "Traceback")) << "no 'Traceback' in the log";
  EXPECT_TRUE(Has(log, "RuntimeError")) << "no 'RuntimeError' in the log";
  // The same worker serves the next request.
  HttpResponse pid_after = served.Get("/pid");
  EXPECT_EQ(pid_after.status, 200);
  EXPECT_EQ(pid_after.body, pid_before.body) << "the worker was replaced";
}

}  // namespace
}  // namespace shoal::tests
