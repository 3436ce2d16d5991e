#include "daemon/service_dir_command.h"

#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <sstream>
#include <string>
#include <vector>

#include <boost/program_options.hpp>

#include "daemon/options.h"
#include "service/exit_codes.h"
#include "service/service_dir.h"

namespace shoal::daemon {
namespace po = boost::program_options;
namespace {

constexpr const char* kUsage =
    "Usage: shoal service-dir DIR --kind daemontools|runit|s6 [--user U] [--log-user U] "
    "[--force] -- OPTIONS\n\n"
    "Writes DIR, a service directory running this shoal with OPTIONS (as for shoal itself) "
    "under daemontools, runit or s6, from the templates shoal installs.\n\nOptions";

int Usage(const std::string& message) {
  std::fprintf(stderr, "shoal service-dir: %s (see 'shoal service-dir --help')\n",
               message.c_str());
  return service::kExitUsage;
}

// This binary's absolute path, for the run script to exec.
std::string ProgramPath() {
  char path[4096];
  ssize_t length = readlink("/proc/self/exe", path, sizeof(path) - 1);
  return length > 0 ? std::string(path, static_cast<size_t>(length)) : std::string();
}

}  // namespace

int RunServiceDirCommand(int argc, const char* const argv[]) {
  // Ours before "--", shoal's after it.
  int split = 1;
  while (split < argc && std::strcmp(argv[split], "--") != 0) ++split;
  po::options_description desc(kUsage);
  desc.add_options()("kind", po::value<std::string>()->value_name("KIND"),
                     "daemontools, runit or s6")(
      "user", po::value<std::string>()->value_name("U"),
      "run shoal as U (setuidgid, chpst -u, s6-setuidgid); the socket's directory must then "
      "be writable by U")("log-user", po::value<std::string>()->value_name("U"),
                          "run the logger as U (default: --user, else as the supervisor does)")(
      "force", "write into DIR even if it is not empty")("help,h", "print this help");
  po::options_description hidden;
  hidden.add_options()("dir", po::value<std::string>());
  po::options_description all;
  all.add(desc).add(hidden);
  po::positional_options_description positional;
  positional.add("dir", 1);
  po::variables_map vm;
  try {
    po::store(po::command_line_parser(split, argv).options(all).positional(positional).run(), vm);
  } catch (const po::error& e) {
    return Usage(e.what());
  }
  if (vm.count("help")) {
    std::printf("%s", (std::ostringstream() << desc).str().c_str());
    return service::kExitOk;
  }
  if (!vm.count("dir")) return Usage("the directory to write is missing");
  if (!vm.count("kind")) return Usage("the option '--kind' is required but missing");
  std::optional<service::ServiceKind> kind = service::ServiceKindNamed(vm["kind"].as<std::string>());
  if (!kind) {
    return Usage("invalid value '" + vm["kind"].as<std::string>() +
                 "' for --kind: expected daemontools, runit or s6");
  }
  if (split == argc) return Usage("expected '--' and shoal's options after it");

  service::ServiceDirSpec spec{.dir = vm["dir"].as<std::string>(),
                               .kind = *kind,
                               .user = vm.count("user") ? vm["user"].as<std::string>() : "",
                               .log_user = {},
                               .program = ProgramPath(),
                               .options = std::vector<std::string>(argv + split + 1, argv + argc),
                               .force = vm.count("force") > 0};
  spec.log_user = vm.count("log-user") ? vm["log-user"].as<std::string>() : spec.user;

  // The options as the run script will pass them, through the daemon's parser.
  std::vector<const char*> run_args = {"shoal"};
  const std::vector<std::string> fixed = service::FixedArguments(*kind);
  for (const std::string& arg : fixed) run_args.push_back(arg.c_str());
  for (const std::string& arg : spec.options) run_args.push_back(arg.c_str());
  Result<CommandLine> checked = ParseCommandLine(static_cast<int>(run_args.size()), run_args.data());
  if (!checked.ok()) return Usage(checked.status().message());
  if (checked.value().action != CommandLine::Action::kServe) {
    return Usage("the options after '--' must be what shoal serves with, not --help or --version");
  }
  for (const std::string* user : {&spec.user, &spec.log_user}) {
    if (user->empty()) continue;
    if (Status known = service::CheckUser(*user); !known.ok()) return Usage(known.message());
  }
  if (spec.program.empty()) {
    std::fprintf(stderr, "shoal service-dir: cannot tell this program's path (/proc/self/exe)\n");
    return service::kExitFailure;
  }

  Result<std::vector<std::string>> done = service::WriteServiceDir(spec);
  if (!done.ok()) {
    std::fprintf(stderr, "shoal service-dir: %s\n", done.status().message().c_str());
    return service::kExitFailure;
  }
  for (const std::string& line : done.value()) std::printf("%s\n", line.c_str());
  for (const std::string& line : service::NextSteps(spec)) std::printf("%s\n", line.c_str());
  return service::kExitOk;
}

}  // namespace shoal::daemon
