#include "daemon/reload_preflight.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <exception>
#include <optional>
#include <string>
#include <vector>

#include "base/status.h"
#include "daemon/app_loading.h"
#include "daemon/options.h"
#include "python/app.h"
#include "service/exit_codes.h"
#include "service/log_file.h"
#include "service/logging.h"
#include "service/privileges.h"
#include "service/web_server_addrs.h"
#include "supervisor/reload_preflight.h"

namespace shoal::daemon {
namespace {

using supervisor::ReloadPreflight;

// RunShoal's steps for a re-executed image, in its order, less the ones
// that act on the running service (sockets, pidfile, readiness, workers).
// Returns OK once every app is imported, or the line RunShoal would log.
Status LoadAsNewImage(int argc, char** argv) {
  Result<CommandLine> command_line = ParseCommandLine(argc, argv);
  if (!command_line.ok()) return command_line.status();
  if (command_line.value().action != CommandLine::Action::kServe) return Status::Ok();
  const Options& options = command_line.value().options;
  service::ConfigureLogging({.level = options.log_level, .timestamps = options.log_timestamps});
  Result<std::optional<service::WebServerAddrs>> web_server_addrs =
      service::WebServerAddrs::FromEnvironment();
  if (!web_server_addrs.ok()) return web_server_addrs.status();
  if (options.umask) ::umask(static_cast<mode_t>(*options.umask));
  const service::RunAs run_as{.user = options.user, .group = options.group};
  if (Status can = service::CheckCanSwitchTo(run_as); !can.ok()) return can;
  if (!options.access_log.empty()) {
    Result<service::LogFile> opened = service::LogFile::Open(options.access_log);
    if (!opened.ok()) return Status::Error("--access-log: " + opened.status().message());
  }
  if (Status became = BecomeAppUser(run_as, options.spool_dir); !became.ok()) return became;
  Result<python::LoadedApps> apps = StartPythonAndLoadApps(options);
  return apps.ok() ? Status::Ok() : apps.status();
}

}  // namespace

bool IsReloadPreflight() { return std::getenv(ReloadPreflight::kVariable) != nullptr; }

void RunReloadPreflight(int argc, char** argv) {
  const int report = std::atoi(std::getenv(ReloadPreflight::kVariable));
  // Neither the app nor anything it starts should see or keep these.
  ::unsetenv(ReloadPreflight::kVariable);
  ::fcntl(report, F_SETFD, FD_CLOEXEC);
  // With the master gone nobody waits for the answer.
  ::prctl(PR_SET_PDEATHSIG, SIGKILL);
  service::InitLogging("reload check");
  Status loaded;
  try {
    loaded = LoadAsNewImage(argc, argv);
  } catch (const std::exception& e) {
    loaded = Status::Error(std::string("internal error: ") + e.what());
  } catch (...) {
    loaded = Status::Error("internal error");
  }
  std::string line = loaded.ok() ? "ok" : loaded.message();
  std::replace(line.begin(), line.end(), '\n', ' ');  // one line, whatever the message
  line += '\n';
  // At most a few KiB into an empty pipe: one write, never blocked long.
  for (size_t written = 0; written < line.size();) {
    ssize_t n = ::write(report, line.data() + written, line.size() - written);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    written += static_cast<size_t>(n);
  }
  // No Python finalization, no atexit: the check is over.
  ::_exit(loaded.ok() ? service::kExitOk : service::kExitFailure);
}

}  // namespace shoal::daemon
