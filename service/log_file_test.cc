#include "service/log_file.h"

#include <stdlib.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include <gtest/gtest.h>

namespace shoal::service {
namespace {

std::string Contents(const std::filesystem::path& path) {
  std::ifstream in(path);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

class LogFileTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char pattern[] = "/tmp/shoal-log-file-XXXXXX";
    ASSERT_NE(mkdtemp(pattern), nullptr);
    dir_ = pattern;
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  std::filesystem::path dir_;
};

TEST_F(LogFileTest, AppendsToWhatIsThere) {
  const std::filesystem::path path = dir_ / "access.log";
  std::ofstream(path) << "before\n";
  Result<LogFile> file = LogFile::Open(path.string());
  ASSERT_TRUE(file.ok()) << file.status().message();
  ASSERT_TRUE(file.value().Write("one\n").ok());
  ASSERT_TRUE(file.value().Write("two\n").ok());
  EXPECT_EQ(Contents(path), "before\none\ntwo\n");
}

TEST_F(LogFileTest, ReopenStartsANewFileAfterARename) {
  const std::filesystem::path path = dir_ / "access.log";
  const std::filesystem::path rotated = dir_ / "access.log.1";
  Result<LogFile> file = LogFile::Open(path.string());
  ASSERT_TRUE(file.ok()) << file.status().message();
  ASSERT_TRUE(file.value().Write("old\n").ok());
  std::filesystem::rename(path, rotated);
  ASSERT_TRUE(file.value().Write("still old\n").ok());  // the fd follows the file
  ASSERT_TRUE(file.value().Reopen().ok());
  ASSERT_TRUE(file.value().Write("new\n").ok());
  EXPECT_EQ(Contents(rotated), "old\nstill old\n");
  EXPECT_EQ(Contents(path), "new\n");
}

TEST_F(LogFileTest, FailuresNameThePath) {
  Result<LogFile> missing = LogFile::Open((dir_ / "no" / "such.log").string());
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.status().message().find("no/such.log"), std::string::npos)
      << missing.status().message();

  const std::filesystem::path sub = dir_ / "sub";
  std::filesystem::create_directory(sub);
  Result<LogFile> file = LogFile::Open((sub / "a.log").string());
  ASSERT_TRUE(file.ok());
  std::filesystem::rename(sub, dir_ / "gone");
  Status reopened = file.value().Reopen();
  EXPECT_FALSE(reopened.ok());
  // The old file is still written after a failed reopen.
  EXPECT_TRUE(file.value().Write("kept\n").ok());
  EXPECT_EQ(Contents(dir_ / "gone" / "a.log"), "kept\n");
}

}  // namespace
}  // namespace shoal::service
