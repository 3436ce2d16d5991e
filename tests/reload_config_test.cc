// HUP with a config file (or --paste file) edited into something invalid:
// the master parses its options again before re-executing, refuses the
// reload with one line, and keeps serving with the same pid and workers;
// once the file is fixed, the next HUP reloads with the new setting.
#include <gtest/gtest.h>

#include <signal.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "support/http_client.h"
#include "support/loopback.h"
#include "support/nginx_process.h"
#include "support/paths.h"
#include "support/shoal_process.h"
#include "support/temp_dir.h"
#include "support/text.h"
#include "support/wait.h"

namespace shoal::tests {
namespace {

using namespace std::chrono_literals;

void WriteFile(const std::filesystem::path& path, const std::string& text) {
  std::ofstream(path) << text;
}

class ReloadConfigTest : public ::testing::Test {
 protected:
  TempDir dir_{"shoal-reload-config"};
  std::filesystem::path socket_ = dir_ / "shoal.sock";
};

TEST_F(ReloadConfigTest, ABadEditIsRefusedAndTheFixedFileReloads) {
  const std::filesystem::path ini = dir_ / "shoal.ini";
  const std::string good = "app = probe:app\n"
                           "chdir = " + AppsDir().string() + "\n"
                           "bind = unix:" + socket_.string() + "\n";
  WriteFile(ini, good + "workers = 2\n");
  ShoalProcess shoal({"--config", ini.string()}, dir_ / "shoal.log");
  ASSERT_TRUE(shoal.WaitForSocket(socket_, 15s)) << shoal.Log();
  ASSERT_TRUE(shoal.WaitForWorkers(2, 15s)) << shoal.Log();
  NginxProcess nginx(dir_.path(), socket_, FindFreeLoopbackPort());
  ASSERT_EQ(HttpGet(nginx.port(), "/").status, 200) << shoal.Log();
  const std::vector<pid_t> workers = shoal.WorkerPids();

  // A typo: the new image would exit 2 on it.
  WriteFile(ini, good + "workers = 2\nwrokers = 3\n");
  shoal.Signal(SIGHUP);
  const std::string refused = "reload refused: " + ini.string() + ":5: unknown key 'wrokers'";
  ASSERT_TRUE(WaitUntil(10s, [&] { return Has(shoal.Log(), refused); })) << shoal.Log();
  EXPECT_FALSE(Has(shoal.Log(), "re-executing")) << shoal.Log();
  for (int i = 0; i < 3; ++i) {
    HttpResponse response = HttpGet(nginx.port(), "/");
    EXPECT_EQ(response.status, 200) << response.body << shoal.Log();
  }
  EXPECT_TRUE(shoal.running());
  EXPECT_EQ(shoal.WorkerPids(), workers);  // the same master (pid), the same workers

  // Fixed, with a new setting: the next HUP reloads and it takes effect.
  WriteFile(ini, good + "workers = 3\n");
  shoal.Signal(SIGHUP);
  ASSERT_TRUE(WaitUntil(30s, [&] {
    const std::vector<pid_t> now = shoal.WorkerPids();
    return now.size() == 3 && std::none_of(now.begin(), now.end(), [&](pid_t pid) {
             return std::find(workers.begin(), workers.end(), pid) != workers.end();
           });
  })) << shoal.Log();
  EXPECT_TRUE(shoal.running()) << shoal.Log();
  EXPECT_EQ(HttpGet(nginx.port(), "/").status, 200) << shoal.Log();
  EXPECT_TRUE(Has(shoal.Log(), "with 3 workers")) << shoal.Log();
}

// The same for the --paste file's [server:main]: a value flup's keywords
// cannot take is refused before the re-exec.
TEST_F(ReloadConfigTest, ABadPasteServerEditIsRefused) {
  const std::filesystem::path ini = dir_ / "app.ini";
  const std::string app = "[app:main]\nuse = call:paste_blog:make_app\ntitle = T\n\n"
                          "[server:main]\nuse = egg:Flup#scgi_fork\n"
                          "socket = %(here)s/shoal.sock\n";
  WriteFile(ini, app + "maxChildren = 2\n");
  ShoalProcess shoal({"--paste", ini.string(), "--pythonpath", AppsDir().string()},
                     dir_ / "shoal.log");
  ASSERT_TRUE(shoal.WaitForSocket(socket_, 15s)) << shoal.Log();
  ASSERT_TRUE(shoal.WaitForWorkers(1, 15s)) << shoal.Log();
  WriteFile(ini, app + "maxChildren = two\n");
  shoal.Signal(SIGHUP);
  const std::string refused = "reload refused: " + ini.string() +
                              ":8 [server:main]: invalid value 'two' for maxchildren=";
  ASSERT_TRUE(WaitUntil(10s, [&] { return Has(shoal.Log(), refused); })) << shoal.Log();
  EXPECT_TRUE(shoal.running());
  NginxProcess nginx(dir_.path(), socket_, FindFreeLoopbackPort(), 10s,
                     SourceDir() / "conf" / "nginx-scgi.conf");
  EXPECT_EQ(HttpGet(nginx.port(), "/").status, 200) << shoal.Log();
}

}  // namespace
}  // namespace shoal::tests
