#include "daemon/reload_check.h"

#include <fcntl.h>
#include <unistd.h>

#include "base/unique_fd.h"
#include "daemon/options.h"

namespace shoal::daemon {

Status CheckReloadParses(const std::vector<std::string>& argv, const std::string& start_dir) {
  // Relative paths (--config app.ini) mean what they meant at the start,
  // as they will for the new image (supervisor/reexec.cc starts it there).
  // A directory the master may no longer enter (after --user) is skipped,
  // as Reexec skips it: the new image then starts here.
  UniqueFd here(open(".", O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!start_dir.empty()) (void)chdir(start_dir.c_str());
  std::vector<const char*> args;
  for (const std::string& arg : argv) args.push_back(arg.c_str());
  Result<CommandLine> parsed = ParseCommandLine(static_cast<int>(args.size()), args.data());
  if (here.valid()) (void)fchdir(here.get());
  return parsed.ok() ? Status::Ok() : parsed.status();
}

}  // namespace shoal::daemon
