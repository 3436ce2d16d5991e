// For the option tests: the daemon's parser on a command line written as a
// list, with "shoal" put in front as argv[0].
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "daemon/options.h"

namespace shoal::daemon {

inline Result<CommandLine> Parse(std::vector<const char*> args) {
  args.insert(args.begin(), "shoal");
  return ParseCommandLine(static_cast<int>(args.size()), args.data());
}

// The parser's message for a command line it refuses; "<parsed>" if it
// takes it.
inline std::string ErrorOf(std::vector<const char*> args) {
  auto cl = Parse(std::move(args));
  return cl.ok() ? "<parsed>" : cl.status().message();
}

}  // namespace shoal::daemon
