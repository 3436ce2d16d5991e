// TempDir: a fresh directory for one test's run, removed when the test ends.
//
// Created under /tmp whatever TMPDIR says, so a unix socket path inside it
// stays well under the 107-byte limit. The destructor removes the directory
// and everything in it (sockets, logs, nginx's temp files); errors there are
// ignored, as a destructor cannot report them. Move-only.
#pragma once

#include <filesystem>
#include <string>

namespace shoal::tests {

class TempDir {
 public:
  // Creates /tmp/PREFIX-XXXXXX. Throws std::runtime_error if mkdtemp fails.
  explicit TempDir(const std::string& prefix = "shoal-test");
  TempDir(TempDir&& other) noexcept;
  TempDir& operator=(TempDir&&) = delete;
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  ~TempDir();

  const std::filesystem::path& path() const { return path_; }
  // path() / name.
  std::filesystem::path operator/(const std::string& name) const { return path_ / name; }

 private:
  std::filesystem::path path_;  // empty once moved from
};

}  // namespace shoal::tests
