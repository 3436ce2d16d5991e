#include "daemon/reload_check.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>

#include "base/unique_fd.h"
#include "daemon/options.h"

namespace shoal::daemon {

Status CheckReloadParses(const std::vector<std::string>& argv, const std::string& start_dir) {
  // Relative paths (--config app.ini) mean what they meant at the start,
  // as they will for the new image (supervisor/reexec.cc starts it there).
  UniqueFd here(open(".", O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!start_dir.empty() && chdir(start_dir.c_str()) != 0) {
    return PosixError("chdir(" + start_dir + ")", errno);
  }
  std::vector<const char*> args;
  for (const std::string& arg : argv) args.push_back(arg.c_str());
  Result<CommandLine> parsed = ParseCommandLine(static_cast<int>(args.size()), args.data());
  if (here.valid()) (void)fchdir(here.get());
  return parsed.ok() ? Status::Ok() : parsed.status();
}

}  // namespace shoal::daemon
