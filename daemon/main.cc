// shoal's entry point: parse the command line, then run the daemon.
#include <csignal>
#include <cstdio>
#include <cstring>
#include <exception>
#include <string>
#include <vector>

#include <spdlog/spdlog.h>

#include "service/exit_codes.h"
#include "service/logging.h"
#include "daemon/options.h"
#include "daemon/reload_preflight.h"
#include "daemon/run.h"
#include "daemon/service_dir_command.h"
#include "daemon/status_command.h"
#include "supervisor/lazy_worker.h"

namespace {

int Main(int argc, char** argv) {
  // The one place SIGPIPE is ignored, inherited by every worker and kept
  // across re-exec: a write to a peer that left is an error, not a death.
  std::signal(SIGPIPE, SIG_IGN);
  // Started by a master before it reloads: load the app, report, exit.
  if (shoal::daemon::IsReloadPreflight()) shoal::daemon::RunReloadPreflight(argc, argv);
  using shoal::daemon::CommandLine;
  if (argc > 1 && std::strcmp(argv[1], "status") == 0) {
    return shoal::daemon::RunStatusCommand(argc - 1, argv + 1);
  }
  if (argc > 1 && std::strcmp(argv[1], "service-dir") == 0) {
    return shoal::daemon::RunServiceDirCommand(argc - 1, argv + 1);
  }
  shoal::service::InitLogging("master");
  auto command_line = shoal::daemon::ParseCommandLine(argc, argv);
  if (!command_line.ok()) {
    std::fprintf(stderr, "shoal: %s (see 'shoal --help')\n",
                 command_line.status().message().c_str());
    return shoal::service::kExitUsage;
  }
  switch (command_line.value().action) {
    case CommandLine::Action::kHelp:
      std::fputs(command_line.value().help.c_str(), stdout);
      return shoal::service::kExitOk;
    case CommandLine::Action::kVersion:
      std::printf("shoal %s\n", SHOAL_VERSION);
      return shoal::service::kExitOk;
    case CommandLine::Action::kCheckConfig:
      std::fputs(command_line.value().effective.c_str(), stdout);
      return shoal::service::kExitOk;
    case CommandLine::Action::kServe:
      break;
  }
  // Kept by every process from here: forked workers copy it, and a
  // re-executed one (HUP, --lazy-apps) parses the same argv again.
  shoal::service::ConfigureLogging({.level = command_line.value().options.log_level,
                                    .timestamps = command_line.value().options.log_timestamps});
  // Once per start (and per HUP's re-exec), not again in each lazy worker.
  if (!shoal::supervisor::IsLazyWorker()) {
    for (const std::string& warning : command_line.value().warnings) {
      spdlog::warn("{}", warning);
    }
  }
  return shoal::daemon::RunShoal(command_line.value().options,
                                 std::vector<std::string>(argv, argv + argc));
}

}  // namespace

int main(int argc, char** argv) {
  // A bug must still end as one line and an exit code, never a stack dump.
  try {
    return Main(argc, argv);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "shoal: internal error: %s\n", e.what());
  } catch (...) {
    std::fprintf(stderr, "shoal: internal error\n");
  }
  return shoal::service::kExitFailure;
}
