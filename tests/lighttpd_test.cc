// lighttpd in front of shoal over SCGI (conf/lighttpd-scgi.conf): the
// example config, and how its mount at /app reaches the app.
//
// The gateway suite (gateway_test.cc) also runs once through lighttpd; this
// file holds what only lighttpd's config does.
#include <gtest/gtest.h>

#include <map>
#include <sstream>
#include <string>

#include "support/test_data.h"
#include "support/child_process.h"
#include "support/conf_template.h"
#include "support/paths.h"
#include "support/serving_fixture.h"
#include "support/temp_dir.h"

namespace shoal::tests {
namespace {

TEST(LighttpdConfTest, ExampleConfigPassesLighttpdConfigTest) {
  TempDir dir("shoal-lighttpd-conf");
  std::filesystem::path conf = dir / "lighttpd.conf";
  WriteRenderedTemplate(LighttpdTemplate(),
                        {{"PORT", "8080"},
                         {"SOCKET", (dir / "shoal.sock").string()},
                         {"PREFIX", dir.path().string()}},
                        conf);
  // -tt: parse the config and load the modules it names.
  ChildProcess lighttpd(LighttpdBinary(), {"-tt", "-f", conf.string()}, dir / "lighttpd-tt.out");
  EXPECT_EQ(lighttpd.WaitForExit(std::chrono::seconds(10)), std::optional<int>(0))
      << lighttpd.Output();
}

class LighttpdTest : public ServingTest {
 protected:
  ServedApp& ServeThroughLighttpd() {
    return Serve({.workers = 1, .front_end = FrontEnd::kLighttpdScgi});
  }
};

TEST_F(LighttpdTest, PrefixIsTheScriptNameAndTheRestThePathInfo) {
  ServedApp& served = ServeThroughLighttpd();

  auto env = Lines(served.Get("/app/environ/a%20b?x=1").body);

  EXPECT_EQ(env["SCRIPT_NAME"], "/app");
  EXPECT_EQ(env["PATH_INFO"], "/environ/a b");
  EXPECT_EQ(env["QUERY_STRING"], "x=1");
  EXPECT_EQ(served.Get("/app/").body, "Hello from probe\n");
}

TEST_F(LighttpdTest, ThePrefixAloneReachesTheAppWithAnEmptyPathInfo) {
  ServedApp& served = ServeThroughLighttpd();

  // lighttpd sends SCRIPT_NAME=/app and no PATH_INFO at all for /app.
  HttpResponse response = served.Get("/app");

  EXPECT_EQ(response.status, 200) << response.body;
  EXPECT_EQ(response.body, "Hello from probe\n");
}

TEST_F(LighttpdTest, OnlyWholeSegmentsOfThePrefixArePassedOn) {
  ServedApp& served = ServeThroughLighttpd();

  // lighttpd's own 403s (url.access-deny): none reaches shoal, and no file
  // of lighttpd's document root (its run directory) is served.
  for (const char* target : {"/app2/environ", "/", "/environ", "/lighttpd.conf"}) {
    HttpResponse response = served.Get(target);
    EXPECT_EQ(response.status, 403) << target;
    EXPECT_EQ(response.body.find("probe"), std::string::npos) << target << ": " << response.body;
  }
}

TEST_F(LighttpdTest, UploadsAboveTheLimitAreRefusedOutsideTheLargeLocation) {
  ServedApp& served = ServeThroughLighttpd();
  const std::string body(17 << 20, 'u');  // above the config's 16 MiB

  EXPECT_EQ(served.Post("/app/count", body).status, 413);
  auto counted = Lines(served.Post("/app/large/count", body).body);
  EXPECT_EQ(counted["bytes"], std::to_string(body.size()));
}

}  // namespace
}  // namespace shoal::tests
