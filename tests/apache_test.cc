// Apache 2.4 in front of shoal: the example configs (AJP13, FastCGI, SCGI),
// requests through mod_proxy_ajp, what mod_proxy_fcgi and mod_proxy_scgi
// pass on, and one app balanced over two shoal daemons by
// mod_proxy_balancer (conf/apache-ajp-balancer.conf): shared requests,
// sticky sessions, fail-over.
//
// The gateway, Flask and Django suites also run through each of Apache's
// three modules; this file holds what only Apache does.
#include <gtest/gtest.h>

#include <algorithm>
#include <iostream>
#include <map>
#include <memory>
#include <random>
#include <set>
#include <sstream>
#include <string>

#include "support/test_data.h"
#include "support/apache_process.h"
#include "support/conf_template.h"
#include "support/loopback.h"
#include "support/paths.h"
#include "support/serving_fixture.h"
#include "support/temp_dir.h"

namespace shoal::tests {
namespace {

// The example configs, with ports where nothing listens behind Apache.
TEST(ApacheConfTest, ExampleConfigsPassApacheConfigTest) {
  TempDir dir("shoal-apache-conf");
  for (const auto& [name, conf_template] :
       {std::pair{"apache-ajp.conf", ApacheTemplate()},
        std::pair{"apache-ajp-balancer.conf", ApacheBalancerTemplate()},
        std::pair{"apache-fastcgi.conf", SourceDir() / "conf" / "apache-fastcgi.conf"},
        std::pair{"apache-scgi.conf", SourceDir() / "conf" / "apache-scgi.conf"}}) {
    for (const char* secret : {"", "secret=s3cret"}) {
      std::filesystem::path conf = dir / name;
      WriteRenderedTemplate(conf_template,
                            {{"PORT", "8080"},
                             {"PREFIX", dir.path().string()},
                             {"AJP_PORT", "8009"},
                             {"AJP_PORT_1", "8009"},
                             {"AJP_PORT_2", "8010"},
                             {"AJP_SECRET", secret},
                             {"AJP_PACKET_SIZE", "8192"},
                             {"SOCKET", (dir / "shoal.sock").string()},
                             {"SCGI_PORT", "4000"}},
                            conf);
      ConfigCheck check = CheckApacheConf(conf);
      EXPECT_EQ(check.exit_code, 0) << name << " (" << secret << "): " << check.output;
      EXPECT_NE(check.output.find("Syntax OK"), std::string::npos) << check.output;
    }
  }
}

TEST(ApacheConfTest, WithNothingBehindApacheAnswers503) {
  for (const std::filesystem::path& conf_template :
       {ApacheTemplate(), ApacheBalancerTemplate(), SourceDir() / "conf" / "apache-fastcgi.conf",
        SourceDir() / "conf" / "apache-scgi.conf"}) {
    TempDir dir("shoal-apache");
    // Ports that were free a moment ago, and a socket that was never made:
    // nothing answers there.
    const std::string nothing = std::to_string(FindFreeLoopbackPort());
    ApacheProcess apache(dir.path(), FindFreeLoopbackPort(), conf_template,
                         {{"AJP_PORT", nothing},
                          {"AJP_PORT_1", nothing},
                          {"AJP_PORT_2", std::to_string(FindFreeLoopbackPort())},
                          {"AJP_SECRET", ""},
                          {"AJP_PACKET_SIZE", "8192"},
                          {"SOCKET", (dir / "shoal.sock").string()},
                          {"SCGI_PORT", nothing}});
    HttpResponse response = HttpGet(apache.port(), "/");
    EXPECT_EQ(response.status, 503) << conf_template << "\n" << apache.Diagnostics();
  }
}

class ApacheAjpTest : public ServingTest {
 protected:
  ServedApp& ServeThroughApache(ServeOptions options = {}) {
    options.front_end = FrontEnd::kApacheAjp;
    return Serve(options);
  }
};

TEST_F(ApacheAjpTest, LargestPacketSizeMatchedWithApacheCarriesBigBodies) {
  // --ajp-packet-size 65536 with Apache's ProxyIOBufferSize 65536: bodies
  // cross in packets eight times larger; a 3 MiB echo comes back whole.
  ServedApp& served = ServeThroughApache({.ajp_packet_size = 65536});
  std::string body(3 << 20, '\0');
  for (size_t i = 0; i < body.size(); ++i) body[i] = static_cast<char>(i * 7 % 251);

  HttpResponse response = served.Post("/echo", body, std::chrono::seconds(30));

  EXPECT_EQ(response.status, 200);
  EXPECT_TRUE(response.body == body) << response.body.size() << " bytes back";
}

TEST_F(ApacheAjpTest, HelloThroughModProxyAjp) {
  ServedApp& served = ServeThroughApache();

  HttpResponse response = served.Get("/");

  EXPECT_EQ(response.status, 200);
  EXPECT_EQ(response.body, "Hello from probe\n");
  EXPECT_EQ(response.Header("Content-Type").value_or(""), "text/plain");
}

TEST_F(ApacheAjpTest, MebibytePostIsEchoedWhole) {
  ServedApp& served = ServeThroughApache();
  std::mt19937 generator(11);
  std::string body(1 << 20, '\0');
  for (char& c : body) c = static_cast<char>(generator());

  HttpResponse response = served.Post("/echo", body, std::chrono::seconds(20));

  EXPECT_EQ(response.status, 200);
  EXPECT_EQ(response.body.size(), body.size());
  EXPECT_TRUE(response.body == body) << "the echo differs from what was sent";
}

TEST_F(ApacheAjpTest, MatchingSecretIsServedAndAWrongOneRefused) {
  ServedApp& served = ServeThroughApache({.ajp_secret = "s3cret"});
  EXPECT_EQ(served.Get("/").status, 200);
  served_.reset();

  ServedApp& wrong =
      ServeThroughApache({.conf_values = {{"AJP_SECRET", "secret=other"}}, .ajp_secret = "s3cret"});
  EXPECT_EQ(wrong.Get("/").status, 403);
}

// One app on two shoal daemons behind conf/apache-ajp-balancer.conf.
class ApacheBalancerTest : public ::testing::Test {
 protected:
  BalancedApp& ServeBalanced() {
    balanced_ = std::make_unique<BalancedApp>(ServeOptions{.workers = 2});
    return *balanced_;
  }

  // Which node (0 or 1) a worker pid belongs to; -1 for neither.
  int NodeOf(pid_t pid) {
    for (size_t i = 0; i < 2; ++i) {
      auto workers = balanced_->shoal(i).WorkerPids();
      if (std::find(workers.begin(), workers.end(), pid) != workers.end())
        return static_cast<int>(i);
    }
    return -1;
  }

  // GET /pid (with `cookie`, if any); the node that answered, or -1.
  int NodeServing(const std::string& cookie = {}) {
    HttpHeaders headers;
    if (!cookie.empty()) headers.emplace_back("Cookie", cookie);
    HttpResponse response = balanced_->Request("GET", "/pid", headers);
    EXPECT_EQ(response.status, 200) << response.body;
    if (response.status != 200) return -1;
    return NodeOf(static_cast<pid_t>(std::stol(response.body)));
  }

  void TearDown() override {
    if (HasFailure() && balanced_) std::cerr << balanced_->Diagnostics();
  }

  std::unique_ptr<BalancedApp> balanced_;
};

TEST_F(ApacheBalancerTest, RequestsAreSharedByBothDaemons) {
  ServeBalanced();
  std::multiset<int> nodes;
  for (int i = 0; i < 8; ++i) nodes.insert(NodeServing());

  EXPECT_EQ(nodes.count(-1), 0u) << "a pid that is no worker of either daemon";
  // byrequests alternates; allow some slack for Apache's own bookkeeping.
  EXPECT_GE(nodes.count(0), 2u);
  EXPECT_GE(nodes.count(1), 2u);
}

TEST_F(ApacheBalancerTest, StickySessionCookieGoesToItsRoute) {
  BalancedApp& balanced = ServeBalanced();
  for (int i = 0; i < 5; ++i) {
    EXPECT_EQ(NodeServing("JSESSIONID=abc.node1"), 0) << "request " << i;
    EXPECT_EQ(NodeServing("JSESSIONID=abc.node2"), 1) << "request " << i;
  }
  // The route reaches the app too (AJP's jvm_route).
  auto env = Lines(balanced.Request("GET", "/environ", {{"Cookie", "JSESSIONID=xyz.node2"}}).body);
  EXPECT_EQ(env["AJP_ROUTE"], "node2");
}

TEST_F(ApacheBalancerTest, StoppedDaemonFailsOverToTheOther) {
  BalancedApp& balanced = ServeBalanced();
  ASSERT_EQ(NodeServing("JSESSIONID=abc.node1"), 0);

  balanced.shoal(0).Signal(SIGTERM);
  ASSERT_EQ(balanced.shoal(0).WaitForExit(std::chrono::seconds(10)), std::optional<int>(0));

  // Apache finds node1 gone (its pooled connections closed, new ones
  // refused) and sends everything, node1's sessions too, to node2.
  for (int i = 0; i < 6; ++i) {
    EXPECT_EQ(NodeServing(), 1) << "request " << i;
    EXPECT_EQ(NodeServing("JSESSIONID=abc.node1"), 1) << "sticky request " << i;
  }
}

}  // namespace
}  // namespace shoal::tests
