// --protocol auto: one socket serves FastCGI, SCGI and AJP13 alike, each
// connection recognised from its first bytes; anything else is closed with
// one log line.
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <string>

#include "support/fastcgi_client.h"
#include "support/http_client.h"
#include "support/loopback.h"
#include "support/nginx_process.h"
#include "support/paths.h"
#include "support/shoal_process.h"
#include "support/temp_dir.h"
#include "support/wait.h"

namespace shoal::tests {
namespace {

Fd ConnectUnix(const std::filesystem::path& path) {
  Fd fd = fastcgi::ConnectUnix(path.string());
  timeval tv{5, 0};
  if (fd.valid()) setsockopt(fd.get(), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
  return fd;
}

std::string ReadToEnd(int fd) {
  std::string all;
  char buffer[4096];
  for (ssize_t n; (n = read(fd, buffer, sizeof(buffer))) > 0;) all.append(buffer, n);
  return all;
}

class AutodetectTest : public ::testing::Test {
 protected:
  void SetUp() override {
    shoal_ = std::make_unique<ShoalProcess>(
        std::vector<std::string>{"--app", "probe:app", "--chdir", AppsDir().string(), "--bind",
                                 "unix:" + socket_.string(), "--protocol", "auto", "--workers",
                                 "2"},
        dir_ / "shoal.log");
    ASSERT_TRUE(shoal_->WaitForSocket(socket_, std::chrono::seconds(15))) << shoal_->Log();
  }
  void TearDown() override {
    if (HasFailure()) std::cerr << shoal_->Log();
  }
  bool LogHas(const std::string& part) {
    return WaitUntil(std::chrono::seconds(5),
                     [&] { return shoal_->Log().find(part) != std::string::npos; });
  }

  TempDir dir_{"shoal-auto"};
  std::filesystem::path socket_ = dir_ / "shoal.sock";
  std::unique_ptr<ShoalProcess> shoal_;
};

TEST_F(AutodetectTest, NginxOverFastCgiAndOverScgiShareOneSocket) {
  TempDir fastcgi_dir("shoal-auto-fcgi");
  TempDir scgi_dir("shoal-auto-scgi");
  NginxProcess fastcgi(fastcgi_dir.path(), socket_, FindFreeLoopbackPort());
  NginxProcess scgi(scgi_dir.path(), socket_, FindFreeLoopbackPort(), std::chrono::seconds(10),
                    SourceDir() / "conf" / "nginx-scgi.conf");

  for (int i = 0; i < 3; ++i) {
    HttpResponse over_fastcgi = HttpGet(fastcgi.port(), "/");
    HttpResponse over_scgi = HttpPost(scgi.port(), "/echo", "scgi body");
    EXPECT_EQ(over_fastcgi.status, 200);
    EXPECT_EQ(over_fastcgi.body, "Hello from probe\n");
    EXPECT_EQ(over_scgi.status, 200);
    EXPECT_EQ(over_scgi.body, "scgi body");
  }
}

TEST_F(AutodetectTest, AjpCpingIsAnsweredWithCpong) {
  Fd fd = ConnectUnix(socket_);
  ASSERT_TRUE(fd.valid());
  const char cping[] = {0x12, 0x34, 0x00, 0x01, 0x0A};
  ASSERT_EQ(write(fd.get(), cping, sizeof(cping)), 5);
  char cpong[5];
  ASSERT_EQ(read(fd.get(), cpong, sizeof(cpong)), 5);
  EXPECT_EQ(std::string(cpong, 5), std::string("AB\x00\x01\x09", 5));
}

TEST_F(AutodetectTest, AnythingElseIsClosedWithOneLogLine) {
  Fd fd = ConnectUnix(socket_);
  ASSERT_TRUE(fd.valid());
  std::string http = "GET / HTTP/1.1\r\nHost: x\r\n\r\n";
  ASSERT_EQ(write(fd.get(), http.data(), http.size()), static_cast<ssize_t>(http.size()));
  EXPECT_EQ(ReadToEnd(fd.get()), "") << "shoal answered something it cannot speak";
  EXPECT_TRUE(LogHas("connection speaks no protocol shoal knows (first bytes 47 45); closed"));
}

TEST_F(AutodetectTest, MalformedScgiIsClosedWithOneLogLine) {
  Fd fd = ConnectUnix(socket_);
  ASSERT_TRUE(fd.valid());
  std::string bad = "5:hello,";
  ASSERT_EQ(write(fd.get(), bad.data(), bad.size()), static_cast<ssize_t>(bad.size()));
  EXPECT_EQ(ReadToEnd(fd.get()), "");
  EXPECT_TRUE(LogHas("malformed SCGI header"));
}

}  // namespace
}  // namespace shoal::tests
