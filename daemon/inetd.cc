#include "daemon/inetd.h"

#include <fcntl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>

#include <spdlog/spdlog.h>

#include "daemon/app_loading.h"
#include "service/exit_codes.h"
#include "service/inherited_socket.h"
#include "service/logging.h"
#include "supervisor/inetd_connection.h"

namespace shoal::daemon {

int RunInetd(const Options& options, const service::RunAs& run_as,
             const supervisor::WorkerSettings& settings,
             const std::vector<python::MountedApp>* preloaded) {
  service::InitLogging("inetd");
  // Plain inetd (and xinetd) give the connection as fd 0, 1 and 2: a log
  // line written to fd 2 would reach the web server as response bytes, so
  // then logs go to /dev/null (redirect stderr in a wrapper to keep them).
  if (service::SameFile(0, 2)) (void)service::ReopenOnDevNull(2);
  sockaddr_storage peer{};
  socklen_t length = sizeof(peer);
  struct stat st {};
  if (fstat(0, &st) != 0 || !S_ISSOCK(st.st_mode) ||
      getpeername(0, reinterpret_cast<sockaddr*>(&peer), &length) != 0) {
    spdlog::error("--inetd: fd 0 is not a connected socket (inetd and xinetd, with nowait, "
                  "start shoal with the connection as fd 0)");
    return service::kExitFailure;
  }
  // The connection moves off stdin and stdout, so the app's input() or a
  // stray write to fd 1 never touch it.
  UniqueFd connection(fcntl(0, F_DUPFD_CLOEXEC, 3));
  int flags = connection.valid() ? fcntl(connection.get(), F_GETFL) : -1;
  if (flags < 0 || fcntl(connection.get(), F_SETFL, flags | O_NONBLOCK) != 0) {
    spdlog::error("{}", PosixError("--inetd: fcntl(0)", errno).message());
    return service::kExitFailure;
  }
  const bool stdout_is_connection = service::SameFile(1, connection.get());
  for (Status reopened : {service::ReopenOnDevNull(0),
                          stdout_is_connection ? service::ReopenOnDevNull(1) : Status::Ok()}) {
    if (!reopened.ok()) {
      spdlog::error("--inetd: {}", reopened.message());
      return service::kExitFailure;
    }
  }
  // The app runs as --user, as it would under the master.
  if (Status became = BecomeAppUser(run_as, options.spool_dir); !became.ok()) {
    spdlog::error("{}", became.message());
    return service::kExitFailure;
  }
  python::LoadedApps loaded;
  if (preloaded == nullptr) {
    Result<python::LoadedApps> apps = StartPythonAndLoadApps(options);
    if (!apps.ok()) {
      spdlog::error("{}", apps.status().message());
      return service::kExitFailure;
    }
    loaded = std::move(apps).value();
  } else {
    for (const python::MountedApp& app : *preloaded) {
      loaded.apps.push_back({app.prefix, python::PyRef::Borrow(app.app.get())});
    }
  }
  std::unique_ptr<protocols::RequestHandler> gateway =
      MakeGateway(options, loaded);
  return supervisor::ServeInetdConnection(settings, std::move(connection), *gateway);
}

}  // namespace shoal::daemon
