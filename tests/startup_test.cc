// How shoal ends when it cannot or need not serve: exit codes and messages.
//
// Exit 2 for bad usage, 1 for a runtime failure before forking, 0 for
// --version and --help. Messages are checked for what they name, never for
// their exact wording.
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <algorithm>
#include <csignal>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <regex>
#include <string>
#include <thread>
#include <vector>

#include "support/fd.h"
#include "support/loopback.h"
#include "support/paths.h"
#include "support/shoal_process.h"
#include "support/temp_dir.h"
#include "support/text.h"

namespace shoal::tests {
namespace {

class StartupTest : public ::testing::Test {
 protected:
  // Runs shoal to its exit (bounded at 20 s) with `args`.
  ShoalRun Run(const std::vector<std::string>& args) {
    return RunShoalToExit(args, dir_ / "shoal.log", std::chrono::seconds(20));
  }

  std::string UnixBind() const { return "unix:" + (dir_ / "shoal.sock").string(); }

  TempDir dir_{"shoal-startup"};
};

size_t CountLines(const std::string& text) {
  std::string trimmed = text;
  while (!trimmed.empty() && trimmed.back() == '\n') trimmed.pop_back();
  if (trimmed.empty()) return 0;
  return static_cast<size_t>(std::count(trimmed.begin(), trimmed.end(), '\n')) + 1;
}

TEST_F(StartupTest, BrokenImportExitsOneNamingTheExceptionAndWhereItWasRaised) {
  ShoalRun run = Run({"--app", "broken_import:app", "--chdir", AppsDir().string(), "--bind",
                      UnixBind()});

  EXPECT_EQ(run.exit_code, std::optional<int>(1)) << run.output;
  EXPECT_TRUE(Has(run.output, "RuntimeError")) << run.output;
  EXPECT_TRUE(Has(run.output, "broken at import")) << run.output;
  EXPECT_TRUE(Has(run.output, "broken_import.py")) << run.output;
  // file:line, in shoal's form or Python's: broken_import.py:7 or
  // broken_import.py", line 7.
  EXPECT_TRUE(std::regex_search(run.output, std::regex(R"(broken_import\.py(:|", line )7\b)")))
      << run.output;
}

TEST_F(StartupTest, UnknownFlagExitsTwoWithOneLineNamingIt) {
  ShoalRun run = Run({"--app", "probe:app", "--bind", UnixBind(), "--bogus-flag"});

  EXPECT_EQ(run.exit_code, std::optional<int>(2)) << run.output;
  EXPECT_TRUE(Has(run.output, "bogus-flag")) << run.output;
  EXPECT_EQ(CountLines(run.output), 1u) << run.output;
}

TEST_F(StartupTest, MissingAppExitsTwoWithOneLineNamingIt) {
  ShoalRun run = Run({"--bind", UnixBind()});

  EXPECT_EQ(run.exit_code, std::optional<int>(2)) << run.output;
  EXPECT_TRUE(Has(run.output, "app")) << run.output;
  EXPECT_EQ(CountLines(run.output), 1u) << run.output;
}

TEST_F(StartupTest, BindWithoutPortOrUnixPrefixExitsTwo) {
  ShoalRun run = Run({"--app", "probe:app", "--chdir", AppsDir().string(), "--bind", "nonsense"});

  EXPECT_EQ(run.exit_code, std::optional<int>(2)) << run.output;
  EXPECT_TRUE(Has(run.output, "nonsense")) << run.output;
  EXPECT_EQ(CountLines(run.output), 1u) << run.output;
}

TEST_F(StartupTest, BindWithPortOutOfRangeExitsTwo) {
  ShoalRun run =
      Run({"--app", "probe:app", "--chdir", AppsDir().string(), "--bind", "127.0.0.1:99999"});

  EXPECT_EQ(run.exit_code, std::optional<int>(2)) << run.output;
  EXPECT_TRUE(Has(run.output, "99999")) << run.output;
  EXPECT_EQ(CountLines(run.output), 1u) << run.output;
}

TEST_F(StartupTest, AddressInUseExitsOneNamingTheCause) {
  LoopbackListener taken;  // holds 127.0.0.1:PORT for the whole test
  const std::string address = "127.0.0.1:" + std::to_string(taken.port());

  ShoalRun run = Run({"--app", "probe:app", "--chdir", AppsDir().string(), "--bind", address});

  EXPECT_EQ(run.exit_code, std::optional<int>(1)) << run.output;
  EXPECT_TRUE(Has(run.output, "in use")) << run.output;
  EXPECT_TRUE(Has(run.output, std::to_string(taken.port()))) << run.output;
}

TEST_F(StartupTest, UnixSocketInMissingDirectoryExitsOne) {
  const std::string bind = "unix:" + (dir_ / "no-such-dir" / "shoal.sock").string();

  ShoalRun run = Run({"--app", "probe:app", "--chdir", AppsDir().string(), "--bind", bind});

  EXPECT_EQ(run.exit_code, std::optional<int>(1)) << run.output;
  EXPECT_TRUE(Has(run.output, "no-such-dir")) << run.output;
}

TEST_F(StartupTest, VersionPrintsAVersionAndExitsZero) {
  ShoalRun run = Run({"--version"});

  EXPECT_EQ(run.exit_code, std::optional<int>(0)) << run.output;
  EXPECT_TRUE(std::regex_search(run.output, std::regex(R"(\d+\.\d+\.\d+)"))) << run.output;
}

TEST_F(StartupTest, HelpDescribesAppAndBindAndExitsZero) {
  ShoalRun run = Run({"--help"});

  EXPECT_EQ(run.exit_code, std::optional<int>(0)) << run.output;
  EXPECT_TRUE(Has(run.output, "--app")) << run.output;
  EXPECT_TRUE(Has(run.output, "--bind")) << run.output;
  // The first line says what shoal is: all three protocols.
  const std::string first_line = run.output.substr(0, run.output.find('\n'));
  for (const char* protocol : {"FastCGI", "SCGI", "AJP13"}) {
    EXPECT_TRUE(Has(first_line, protocol)) << first_line;
  }
  EXPECT_TRUE(Has(run.output, "shoal status")) << run.output;
}

// A unix socket bound at `path`; listening if `listen`, else closed at once,
// which leaves the file behind as a crashed server would.
Fd BindUnixSocket(const std::filesystem::path& path, bool listen) {
  Fd fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  sockaddr_un address{};
  address.sun_family = AF_UNIX;
  std::snprintf(address.sun_path, sizeof(address.sun_path), "%s", path.c_str());
  EXPECT_EQ(::bind(fd.get(), reinterpret_cast<sockaddr*>(&address), sizeof(address)), 0);
  if (!listen) return Fd();
  EXPECT_EQ(::listen(fd.get(), 4), 0);
  return fd;
}

TEST_F(StartupTest, StaleSocketFileFromACrashedRunIsReplaced) {
  const std::filesystem::path socket = dir_ / "shoal.sock";
  BindUnixSocket(socket, /*listen=*/false);
  ASSERT_TRUE(std::filesystem::is_socket(socket));

  ShoalProcess shoal({"--app", "probe:app", "--chdir", AppsDir().string(), "--bind",
                      UnixBind()},
                     dir_ / "stale.log");

  EXPECT_TRUE(shoal.WaitForWorkers(2, std::chrono::seconds(10))) << shoal.Log();
  EXPECT_TRUE(shoal.WaitForSocket(socket, std::chrono::seconds(5))) << shoal.Log();
  shoal.Signal(SIGTERM);
  EXPECT_EQ(shoal.WaitForExit(std::chrono::seconds(10)), std::optional<int>(0)) << shoal.Log();
  EXPECT_FALSE(std::filesystem::exists(socket));
}

// A stop while the app is still being imported (a supervisor's `svc -d`
// during a slow boot) ends shoal at once and cleanly: one line, the socket
// file removed, exit 0; not a death by the signal's default action.
TEST_F(StartupTest, AStopSignalDuringTheImportExitsZeroAndRemovesTheSocket) {
  for (int signal : {SIGTERM, SIGINT, SIGQUIT}) {
    const std::filesystem::path socket = dir_ / "shoal.sock";
    ShoalProcess shoal({"--app", "slow_import:app", "--chdir", AppsDir().string(), "--bind",
                        UnixBind()},
                       dir_ / ("boot-" + std::to_string(signal) + ".log"),
                       {{"TEST_IMPORT_SECONDS", "5"}});
    ASSERT_TRUE(shoal.WaitForSocket(socket, std::chrono::seconds(10))) << shoal.Log();
    std::this_thread::sleep_for(std::chrono::milliseconds(300));  // importing
    const auto signalled = std::chrono::steady_clock::now();
    shoal.Signal(signal);
    EXPECT_EQ(shoal.WaitForExit(std::chrono::seconds(3)), std::optional<int>(0))
        << "signal " << signal << ": " << shoal.Log();
    EXPECT_LT(std::chrono::steady_clock::now() - signalled, std::chrono::seconds(2));
    EXPECT_FALSE(std::filesystem::exists(socket)) << "signal " << signal;
    EXPECT_TRUE(Has(shoal.Log(), "stop signal while starting")) << shoal.Log();
  }
}

TEST_F(StartupTest, SocketAnotherProcessListensOnIsNotTakenOver) {
  const std::filesystem::path socket = dir_ / "shoal.sock";
  Fd live = BindUnixSocket(socket, /*listen=*/true);

  ShoalRun run = Run({"--app", "probe:app", "--chdir", AppsDir().string(), "--bind",
                      UnixBind()});

  EXPECT_EQ(run.exit_code, std::optional<int>(1)) << run.output;
  EXPECT_TRUE(Has(run.output, "already in use")) << run.output;
  EXPECT_EQ(CountLines(run.output), 1u) << run.output;
  EXPECT_TRUE(std::filesystem::is_socket(socket)) << "the live socket's file was removed";
}

TEST_F(StartupTest, PathThatIsNotASocketIsLeftAloneAndExitsOne) {
  const std::filesystem::path file = dir_ / "shoal.sock";
  { std::ofstream(file) << "precious"; }

  ShoalRun run = Run({"--app", "probe:app", "--chdir", AppsDir().string(), "--bind",
                      UnixBind()});

  EXPECT_EQ(run.exit_code, std::optional<int>(1)) << run.output;
  EXPECT_TRUE(Has(run.output, "not a socket")) << run.output;
  std::ifstream kept(file);
  std::string content;
  kept >> content;
  EXPECT_EQ(content, "precious");
}

TEST_F(StartupTest, WorkersDyingAtStartBackOffThenTheMasterGivesUp) {
  ShoalRun run = Run({"--app", "crash_on_fork:app", "--chdir", AppsDir().string(), "--bind",
                      UnixBind(), "--workers", "2"});

  EXPECT_EQ(run.exit_code, std::optional<int>(1)) << run.output;
  EXPECT_TRUE(Has(run.output, "respawning in")) << run.output;
  EXPECT_TRUE(Has(run.output, "giving up")) << run.output;
  // Bounded: a handful of forks, not a fork bomb.
  std::regex started("worker \\d+ pid \\d+ started");
  auto forks = std::distance(std::sregex_iterator(run.output.begin(), run.output.end(), started),
                             std::sregex_iterator());
  EXPECT_GE(forks, 8);
  EXPECT_LE(forks, 12) << run.output;
  EXPECT_FALSE(std::filesystem::exists(dir_ / "shoal.sock"));
}

TEST_F(StartupTest, AjpOnAnAddressOthersCanReachNeedsASecret) {
  // 0.0.0.0 only binds here; nothing is sent anywhere.
  const std::string bind = "0.0.0.0:" + std::to_string(FindFreeLoopbackPort());
  ShoalRun refused = Run({"--app", "probe:app", "--chdir", AppsDir().string(), "--bind", bind,
                          "--protocol", "ajp"});
  EXPECT_EQ(refused.exit_code, std::optional<int>(1)) << refused.output;
  EXPECT_TRUE(Has(refused.output, "refusing AJP on 0.0.0.0")) << refused.output;
  EXPECT_TRUE(Has(refused.output, "--ajp-secret")) << refused.output;
  EXPECT_EQ(CountLines(refused.output), 1u) << refused.output;

  // The same address with a secret, or with the explicit override, starts.
  for (std::vector<std::string> extra : {std::vector<std::string>{"--ajp-secret", "s3cret"},
                                         std::vector<std::string>{"--ajp-allow-insecure"}}) {
    std::vector<std::string> args = {"--app", "probe:app", "--chdir", AppsDir().string(),
                                     "--bind", bind, "--protocol", "ajp"};
    args.insert(args.end(), extra.begin(), extra.end());
    ShoalProcess shoal(args, dir_ / ("started" + extra[0] + ".log"));
    EXPECT_TRUE(shoal.WaitForWorkers(2, std::chrono::seconds(10))) << shoal.Log();
    shoal.Signal(SIGTERM);
    EXPECT_EQ(shoal.WaitForExit(std::chrono::seconds(10)), std::optional<int>(0)) << shoal.Log();
  }
}

}  // namespace
}  // namespace shoal::tests
