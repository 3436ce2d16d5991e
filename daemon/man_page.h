// The shoal(1) man page, in roff, rendered from the option table --help
// prints (daemon/options.h), so the two cannot drift. Built into
// build/shoal.1 by build/shoal-man-page at build time and installed by
// `cmake --install`.
#pragma once

#include <string>

namespace shoal::daemon {

// The whole page for shoal `version`, ready for man(1).
std::string RenderManPage(const std::string& version);

}  // namespace shoal::daemon
