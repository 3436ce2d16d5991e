// How shoal ends when it cannot or need not serve: exit codes and messages.
//
// Exit 2 for bad usage, 1 for a runtime failure before forking, 0 for
// --version and --help. Messages are checked for what they name, never for
// their exact wording.
#include <gtest/gtest.h>

#include <algorithm>
#include <regex>
#include <string>
#include <vector>

#include "support/loopback.h"
#include "support/paths.h"
#include "support/shoal_process.h"
#include "support/temp_dir.h"

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

bool Has(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
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
}

}  // namespace
}  // namespace shoal::tests
