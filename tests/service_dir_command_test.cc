// `shoal service-dir` as a user runs it: options checked by the daemon's
// parser before anything is written, the directory's files, and a
// directory not empty refused. (Running what it writes: service_test.cc.)
#include <gtest/gtest.h>

#include <filesystem>
#include <string>
#include <vector>

#include "support/child_process.h"
#include "support/paths.h"
#include "support/shoal_process.h"
#include "support/temp_dir.h"
#include "support/text.h"

namespace shoal::tests {
namespace {
namespace fs = std::filesystem;
using namespace std::chrono_literals;

TEST(ServiceDirCommandTest, BadOptionsAreTheParsersLineAndNothingIsWritten) {
  TempDir temp("shoal-servicedir");
  const fs::path dir = temp / "app";
  ShoalRun bad = RunShoalToExit({"service-dir", dir.string(), "--kind", "runit", "--", "--app",
                                 "probe:app", "--bind", ":1", "--workers", "0"},
                                temp / "bad.out", 15s);
  EXPECT_EQ(bad.exit_code, std::optional<int>(2));
  EXPECT_TRUE(Has(bad.output, "shoal service-dir: invalid value '0' for --workers: expected 1 to 1024"))
      << bad.output;
  EXPECT_FALSE(fs::exists(dir));

  ShoalRun kind = RunShoalToExit({"service-dir", dir.string(), "--kind", "upstart", "--",
                                  "--app", "a:b", "--bind", ":1"},
                                 temp / "kind.out", 15s);
  EXPECT_EQ(kind.exit_code, std::optional<int>(2));
  EXPECT_TRUE(Has(kind.output, "invalid value 'upstart' for --kind")) << kind.output;

  ShoalRun user = RunShoalToExit({"service-dir", dir.string(), "--kind", "s6", "--user",
                                  "no-such-user-shoal", "--", "--app", "a:b", "--bind", ":1"},
                                 temp / "user.out", 15s);
  EXPECT_EQ(user.exit_code, std::optional<int>(2));
  EXPECT_TRUE(Has(user.output, "no such user 'no-such-user-shoal'")) << user.output;

  // s6's run passes --ready-fd 3 itself: another one is refused.
  ShoalRun twice = RunShoalToExit({"service-dir", dir.string(), "--kind", "s6", "--", "--app",
                                   "a:b", "--bind", ":1", "--ready-fd", "4"},
                                  temp / "twice.out", 15s);
  EXPECT_EQ(twice.exit_code, std::optional<int>(2)) << twice.output;
  EXPECT_FALSE(fs::exists(dir));
}

TEST(ServiceDirCommandTest, WritesOnceThenRefusesWithoutForce) {
  TempDir temp("shoal-servicedir");
  const fs::path dir = temp / "app";
  std::vector<std::string> args = {"service-dir", dir.string(), "--kind", "daemontools", "--",
                                   "--app", "probe:app", "--bind", "unix:/tmp/it's here.sock"};
  ShoalRun wrote = RunShoalToExit(args, temp / "wrote.out", 15s);
  ASSERT_EQ(wrote.exit_code, std::optional<int>(0)) << wrote.output;
  EXPECT_TRUE(Has(wrote.output, "next: ln -s " + dir.string() + " /etc/service/")) << wrote.output;
  const std::string run = ReadFileOrEmpty(dir / "run");
  EXPECT_TRUE(Has(run, "exec envdir ./env " + fs::canonical(ShoalBinary()).string() +
                           " --app probe:app --bind 'unix:/tmp/it'\\''s here.sock'\n"))
      << run;
  EXPECT_EQ(ReadFileOrEmpty(dir / "log" / "run"),
            ReadFileOrEmpty(SourceDir() / "service" / "templates" / "daemontools" / "log" / "run")
                .replace(ReadFileOrEmpty(SourceDir() / "service" / "templates" / "daemontools" /
                                         "log" / "run")
                             .find("setuidgid www-data "),
                         19, ""));
  EXPECT_TRUE(fs::is_directory(dir / "log" / "main"));
  EXPECT_TRUE(fs::is_directory(dir / "env"));

  ShoalRun again = RunShoalToExit(args, temp / "again.out", 15s);
  EXPECT_EQ(again.exit_code, std::optional<int>(1));
  EXPECT_TRUE(Has(again.output, "exists and is not empty (--force writes over it)")) << again.output;
  args.insert(args.begin() + 4, "--force");
  EXPECT_EQ(RunShoalToExit(args, temp / "forced.out", 15s).exit_code, std::optional<int>(0));
}

}  // namespace
}  // namespace shoal::tests
