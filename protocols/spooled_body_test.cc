#include "protocols/spooled_body.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <string>

#include <gtest/gtest.h>

namespace shoal::protocols {
namespace {

// A body of `size` bytes delivered `piece` bytes a call at most, as a
// socket would; or failing after `fail_after` bytes.
class PatternBody final : public BodyReader {
 public:
  PatternBody(uint64_t size, size_t piece, uint64_t fail_after = UINT64_MAX)
      : size_(size), piece_(piece), fail_after_(fail_after) {}
  Result<size_t> ReadBody(char* buffer, size_t size) override {
    if (given_ >= fail_after_) return Status::Error("connection reset");
    size_t n = static_cast<size_t>(std::min<uint64_t>({size, piece_, size_ - given_}));
    for (size_t i = 0; i < n; ++i) buffer[i] = ByteAt(given_ + i);
    given_ += n;
    return n;
  }
  static char ByteAt(uint64_t i) { return static_cast<char>('a' + i % 23); }

 private:
  uint64_t size_;
  size_t piece_;
  uint64_t fail_after_;
  uint64_t given_ = 0;
};

// Reads the whole spooled body in `chunk`-byte reads, checking each byte.
uint64_t ReadBackChecked(SpooledBody& body, size_t chunk) {
  std::string buffer(chunk, '\0');
  uint64_t total = 0;
  for (;;) {
    Result<size_t> got = body.ReadBody(buffer.data(), buffer.size());
    EXPECT_TRUE(got.ok());
    if (!got.ok() || got.value() == 0) return total;
    for (size_t i = 0; i < got.value(); ++i) {
      if (buffer[i] != PatternBody::ByteAt(total + i)) {
        ADD_FAILURE() << "byte " << total + i << " differs";
        return total;
      }
    }
    total += got.value();
  }
}

// Open files in this process that are unlinked ("... (deleted)").
int DeletedFilesOpen() {
  int count = 0;
  for (const auto& entry : std::filesystem::directory_iterator("/proc/self/fd")) {
    std::error_code error;
    std::string target = std::filesystem::read_symlink(entry.path(), error).string();
    if (!error && target.ends_with(" (deleted)")) ++count;
  }
  return count;
}

TEST(SpooledBodyTest, SmallBodyStaysInMemory) {
  PatternBody source(1000, 100);
  SpooledBody body;
  ASSERT_EQ(body.Fill(source, {.dir = "/nonexistent", .memory_limit = 4096}),
            SpooledBody::Failure::kNone);
  EXPECT_EQ(body.size(), 1000u);
  EXPECT_FALSE(body.on_disk());
  EXPECT_EQ(ReadBackChecked(body, 64), 1000u);
}

TEST(SpooledBodyTest, LargeBodyGoesToAnUnlinkedFileAndReadsBackWhole) {
  const int before = DeletedFilesOpen();
  {
    PatternBody source(3 * 65536 + 17, 8192);
    SpooledBody body;
    ASSERT_EQ(body.Fill(source, {.dir = ::testing::TempDir(), .memory_limit = 65536}),
              SpooledBody::Failure::kNone);
    EXPECT_EQ(body.size(), 3u * 65536 + 17);
    EXPECT_TRUE(body.on_disk());
    // The file has no name: nothing is left behind if the worker dies.
    EXPECT_EQ(DeletedFilesOpen(), before + 1);
    EXPECT_EQ(ReadBackChecked(body, 10000), 3u * 65536 + 17);
  }
  EXPECT_EQ(DeletedFilesOpen(), before);
}

TEST(SpooledBodyTest, EmptyBodyIsEmpty) {
  PatternBody source(0, 100);
  SpooledBody body;
  ASSERT_EQ(body.Fill(source, {}), SpooledBody::Failure::kNone);
  EXPECT_EQ(body.size(), 0u);
  char byte = 0;
  Result<size_t> got = body.ReadBody(&byte, 1);
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(got.value(), 0u);
}

TEST(SpooledBodyTest, BodyOverTheMaximumIsRefused) {
  PatternBody source(10001, 1000);
  SpooledBody body;
  EXPECT_EQ(body.Fill(source, {.max_size = 10000}), SpooledBody::Failure::kTooLarge);
  EXPECT_EQ(body.error(), "request body over --max-body-size (10000 bytes)");
  PatternBody exact(10000, 1000);
  SpooledBody fits;
  EXPECT_EQ(fits.Fill(exact, {.max_size = 10000}), SpooledBody::Failure::kNone);
}

TEST(SpooledBodyTest, ReadErrorIsReported) {
  PatternBody source(100000, 1000, 5000);
  SpooledBody body;
  EXPECT_EQ(body.Fill(source, {}), SpooledBody::Failure::kReadFailed);
  EXPECT_EQ(body.error(), "connection reset");
}

TEST(SpooledBodyTest, MissingSpoolDirectoryIsASpoolFailure) {
  PatternBody source(5000, 1000);
  SpooledBody body;
  EXPECT_EQ(body.Fill(source, {.dir = "/nonexistent/spool", .memory_limit = 1000}),
            SpooledBody::Failure::kSpoolFailed);
  EXPECT_NE(body.error().find("/nonexistent/spool"), std::string::npos) << body.error();
  EXPECT_NE(body.error().find("No such file or directory"), std::string::npos) << body.error();
}

}  // namespace
}  // namespace shoal::protocols
