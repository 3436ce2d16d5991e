// shoal's entry point: parse the command line, then run the daemon.
#include <cstdio>

#include "daemon/exit_codes.h"
#include "daemon/logging.h"
#include "daemon/options.h"
#include "daemon/run.h"

int main(int argc, char** argv) {
  using shoal::daemon::CommandLine;
  shoal::daemon::InitLogging("master");
  auto command_line = shoal::daemon::ParseCommandLine(argc, argv);
  if (!command_line.ok()) {
    std::fprintf(stderr, "shoal: %s (see 'shoal --help')\n",
                 command_line.status().message().c_str());
    return shoal::kExitUsage;
  }
  switch (command_line.value().action) {
    case CommandLine::Action::kHelp:
      std::fputs(command_line.value().help.c_str(), stdout);
      return shoal::kExitOk;
    case CommandLine::Action::kVersion:
      std::printf("shoal %s\n", SHOAL_VERSION);
      return shoal::kExitOk;
    case CommandLine::Action::kServe:
      break;
  }
  return shoal::daemon::RunShoal(command_line.value().options);
}
