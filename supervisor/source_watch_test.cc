// SourceWatch: which edits in a watched directory count as a change.
#include "supervisor/source_watch.h"

#include <poll.h>
#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <string>

#include <gtest/gtest.h>

namespace shoal::supervisor {
namespace {

class SourceWatchTest : public testing::Test {
 protected:
  void SetUp() override {
    std::string pattern = (std::filesystem::temp_directory_path() / "shoal-watch-XXXXXX").string();
    ASSERT_NE(::mkdtemp(pattern.data()), nullptr);
    dir_ = pattern;
    std::filesystem::create_directories(dir_ / "pkg");
    std::ofstream(dir_ / "app.py") << "A = 1\n";
    std::ofstream(dir_ / "pkg" / "mod.py") << "B = 1\n";
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  // Waits up to a second for the watch's fd, then asks what changed.
  static std::optional<std::string> NextChange(SourceWatch& watch) {
    pollfd fd{watch.fd(), POLLIN, 0};
    if (::poll(&fd, 1, 1000) != 1) return std::nullopt;
    std::optional<SourceWatch::Change> changed = watch.Changed();
    if (!changed) return std::nullopt;
    return changed->path;
  }

  std::filesystem::path dir_;
};

TEST_F(SourceWatchTest, AWatchedFileWrittenOrRenamedOverIsAChange) {
  const std::string app = (dir_ / "app.py").string();
  const std::string mod = (dir_ / "pkg" / "mod.py").string();
  auto watch = SourceWatch::Create({app, mod}, {});
  ASSERT_TRUE(watch.ok()) << watch.status().message();
  EXPECT_EQ(watch.value().files(), 2u);

  std::ofstream(mod) << "B = 2\n";
  EXPECT_EQ(NextChange(watch.value()), mod);

  std::ofstream(dir_ / "app.py.tmp") << "A = 2\n";
  std::filesystem::rename(dir_ / "app.py.tmp", app);
  EXPECT_EQ(NextChange(watch.value()), app);
}

TEST_F(SourceWatchTest, AFileMovedAsideOrRemovedIsNotYetAChange) {
  const std::string app = (dir_ / "app.py").string();
  auto watch = SourceWatch::Create({app}, {});
  ASSERT_TRUE(watch.ok()) << watch.status().message();
  // As vim saves: the old file moved aside, then the new one written.
  std::filesystem::rename(app, app + "~");
  EXPECT_EQ(NextChange(watch.value()), std::nullopt);
  std::ofstream(app) << "A = 3\n";
  EXPECT_EQ(NextChange(watch.value()), app);
  std::filesystem::remove(app);
  EXPECT_EQ(NextChange(watch.value()), std::nullopt);
}

TEST_F(SourceWatchTest, OtherFilesInTheDirectoryAreNot) {
  auto watch = SourceWatch::Create({(dir_ / "app.py").string()}, {});
  ASSERT_TRUE(watch.ok()) << watch.status().message();
  std::ofstream(dir_ / "other.py") << "C = 1\n";
  std::ofstream(dir_ / "notes.txt") << "x\n";
  EXPECT_EQ(NextChange(watch.value()), std::nullopt);
}

TEST_F(SourceWatchTest, AWholeDirectoryCountsAnyPythonFileButNotLockFiles) {
  auto watch = SourceWatch::Create({}, {dir_.string()});
  ASSERT_TRUE(watch.ok()) << watch.status().message();
  EXPECT_EQ(watch.value().dirs(), 1u);
  std::ofstream(dir_ / ".#new.py") << "lock\n";
  std::ofstream(dir_ / "data.json") << "{}\n";
  EXPECT_EQ(NextChange(watch.value()), std::nullopt);
  std::ofstream(dir_ / "new.py") << "D = 1\n";
  EXPECT_EQ(NextChange(watch.value()), (dir_ / "new.py").string());
}

TEST_F(SourceWatchTest, SavesReadTogetherAreCountedAndTheFirstNamed) {
  auto watch = SourceWatch::Create({}, {dir_.string()});
  ASSERT_TRUE(watch.ok()) << watch.status().message();
  std::ofstream(dir_ / "first.py") << "E = 1\n";
  std::ofstream(dir_ / "notes.txt") << "x\n";
  std::ofstream(dir_ / "second.py") << "F = 1\n";
  std::ofstream(dir_ / "third.py") << "G = 1\n";
  pollfd fd{watch.value().fd(), POLLIN, 0};
  ASSERT_EQ(::poll(&fd, 1, 1000), 1);
  std::optional<SourceWatch::Change> changed = watch.value().Changed();
  ASSERT_TRUE(changed);
  EXPECT_EQ(changed->path, (dir_ / "first.py").string());
  EXPECT_EQ(changed->saves, 3);
}

TEST_F(SourceWatchTest, AMissingDirectoryIsAnError) {
  auto watch = SourceWatch::Create({(dir_ / "gone" / "x.py").string()}, {});
  ASSERT_FALSE(watch.ok());
  EXPECT_NE(watch.status().message().find("inotify_add_watch(" + (dir_ / "gone").string() + ")"),
            std::string::npos)
      << watch.status().message();
}

}  // namespace
}  // namespace shoal::supervisor
