// The Debian package: `cpack -G DEB` from this build directory makes a .deb
// that dpkg installs on this machine, whose shoal serves through nginx, with
// its man page and service templates where a packager expects them.
//
// The package is really installed (dpkg -i) and purged at the end, so the
// test runs only as root and only where no other shoal package is
// installed; elsewhere it says why it skips.
#include <unistd.h>

#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <string>
#include <vector>

#include "support/child_process.h"
#include "support/http_client.h"
#include "support/loopback.h"
#include "support/nginx_process.h"
#include "support/paths.h"
#include "support/temp_dir.h"
#include "support/text.h"
#include "support/wait.h"

namespace shoal::tests {
namespace {

struct CommandRun {
  std::optional<int> exit_code;  // nullopt: still running at the bound, then stopped
  std::string output;
};

// Runs `program args` to its exit, bounded by `timeout`.
CommandRun RunCommand(const std::filesystem::path& program, const std::vector<std::string>& args,
                      const std::filesystem::path& log, std::chrono::seconds timeout) {
  ChildProcess child(program, args, log);
  std::optional<int> exit_code = child.WaitForExit(timeout);
  return {exit_code, child.Output()};
}

bool ShoalPackageInstalled(const std::filesystem::path& log) {
  CommandRun status = RunCommand("/usr/bin/dpkg-query", {"-W", "-f=${Status}", "shoal"}, log,
                                 std::chrono::seconds(30));
  return Has(status.output, "install ok installed");
}

// Purges the package the test installed, whatever the test's outcome.
class InstalledPackage {
 public:
  explicit InstalledPackage(std::filesystem::path log) : log_(std::move(log)) {}
  ~InstalledPackage() {
    RunCommand("/usr/bin/dpkg", {"--purge", "shoal"}, log_, std::chrono::seconds(60));
  }

 private:
  std::filesystem::path log_;
};

TEST(PackageTest, CpackDebInstallsAndServesThroughNginx) {
  if (::geteuid() != 0) GTEST_SKIP() << "dpkg -i needs root";
  TempDir dir("shoal-package");
  if (ShoalPackageInstalled(dir / "query.log")) {
    GTEST_SKIP() << "a shoal package is already installed here; not replacing it";
  }

  CommandRun pack = RunCommand("/usr/bin/cpack",
                               {"-G", "DEB", "--config", (BuildDir() / "CPackConfig.cmake").string(),
                                "-B", (dir / "out").string()},
                               dir / "cpack.log", std::chrono::seconds(90));
  ASSERT_EQ(pack.exit_code, std::optional<int>(0)) << pack.output;
  std::filesystem::path deb;
  for (const auto& entry : std::filesystem::directory_iterator(dir / "out")) {
    if (entry.path().extension() == ".deb") deb = entry.path();
  }
  ASSERT_FALSE(deb.empty()) << pack.output;

  // Its dependencies come from dpkg-shlibdeps: the embedded interpreter's
  // library and the libraries shoal links.
  CommandRun depends = RunCommand("/usr/bin/dpkg-deb", {"-f", deb.string(), "Depends"},
                                  dir / "depends.log", std::chrono::seconds(30));
  EXPECT_TRUE(Has(depends.output, "libpython3.11")) << depends.output;
  EXPECT_TRUE(Has(depends.output, "libboost-program-options")) << depends.output;

  InstalledPackage purge_at_end(dir / "purge.log");
  CommandRun install = RunCommand("/usr/bin/dpkg", {"-i", deb.string()}, dir / "install.log",
                                  std::chrono::seconds(90));
  ASSERT_EQ(install.exit_code, std::optional<int>(0)) << install.output;

  for (const char* path : {"/usr/bin/shoal", "/usr/share/man/man1/shoal.1.gz",
                           "/usr/share/doc/shoal/README.md",
                           "/usr/share/doc/shoal/examples/hello.py",
                           "/usr/share/doc/shoal/conf/nginx-fastcgi.conf",
                           "/usr/share/shoal/service/daemontools/run",
                           "/usr/share/shoal/service/daemontools/log/run",
                           "/usr/share/shoal/service/runit/run",
                           "/usr/share/shoal/service/s6/notification-fd",
                           "/usr/share/shoal/service/inetd/xinetd.conf",
                           "/usr/lib/systemd/system/shoal.service",
                           "/usr/lib/systemd/system/shoal.socket"}) {
    EXPECT_TRUE(std::filesystem::exists(path)) << path;
  }
  // man finds the page by name, and groff renders it without a warning.
  CommandRun man = RunCommand("/bin/sh", {"-c", "MANWIDTH=80 man -P cat shoal 2>&1 >/dev/null; "
                                                "zcat /usr/share/man/man1/shoal.1.gz | "
                                                "groff -man -Tutf8 -ww -z"},
                              dir / "man.log", std::chrono::seconds(30));
  EXPECT_EQ(man.exit_code, std::optional<int>(0)) << man.output;
  EXPECT_EQ(man.output, "") << man.output;

  // The installed binary serves the installed example through nginx.
  const std::filesystem::path socket = dir / "shoal.sock";
  ChildProcess shoal("/usr/bin/shoal",
                     {"--app", "hello:app", "--chdir", "/usr/share/doc/shoal/examples", "--bind",
                      "unix:" + socket.string(), "--workers", "1"},
                     dir / "shoal.log");
  ASSERT_TRUE(WaitUntil(std::chrono::seconds(15), [&] { return std::filesystem::exists(socket); }))
      << shoal.Output();
  NginxProcess nginx(dir.path(), socket, FindFreeLoopbackPort());
  HttpResponse response = HttpGet(nginx.port(), "/");
  EXPECT_EQ(response.status, 200) << response.body << shoal.Output();
  EXPECT_TRUE(Has(response.body, "Hello")) << response.body;
}

}  // namespace
}  // namespace shoal::tests
