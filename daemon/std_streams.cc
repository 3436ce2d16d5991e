#include "daemon/std_streams.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <string>
#include <utility>

#include "base/unique_fd.h"

namespace shoal::daemon {

Status ReopenStdStreams(const Options& options) {
  std::pair<const char*, const std::string*> wanted[] = {{"--stdout-log", &options.stdout_log},
                                                         {"--stderr-log", &options.stderr_log}};
  UniqueFd opened[2];
  for (int i = 0; i < 2; ++i) {
    const std::string& file = *wanted[i].second;
    if (file.empty()) continue;
    opened[i] = UniqueFd(::open(file.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0666));
    if (!opened[i].valid()) {
      return PosixError(std::string(wanted[i].first) + ": open(" + file + ")", errno);
    }
  }
  std::fflush(stdout);
  std::fflush(stderr);
  for (int i = 0; i < 2; ++i) {
    if (!opened[i].valid()) continue;
    const int target = i == 0 ? STDOUT_FILENO : STDERR_FILENO;
    if (::dup2(opened[i].get(), target) < 0) {
      return PosixError(std::string(wanted[i].first) + ": dup2(" + *wanted[i].second + ")", errno);
    }
  }
  return Status::Ok();
}

}  // namespace shoal::daemon
