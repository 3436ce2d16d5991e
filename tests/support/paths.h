// Paths the integration tests need, fixed at build time by tests/CMakeLists.txt.
//
// SHOAL_BINARY is build/shoal; SHOAL_SOURCE_DIR is the repository root, from
// which the tests take their apps (tests/apps), the examples and the web
// server templates (conf/), so that what the tests run is what the repository ships.
#pragma once

#include <filesystem>

namespace shoal::tests {

inline std::filesystem::path ShoalBinary() { return SHOAL_BINARY; }
inline std::filesystem::path SourceDir() { return SHOAL_SOURCE_DIR; }
// The build directory (CPackConfig.cmake, the man page).
inline std::filesystem::path BuildDir() { return SHOAL_BUILD_DIR; }
inline std::filesystem::path AppsDir() { return SourceDir() / "tests" / "apps"; }
inline std::filesystem::path ExamplesDir() { return SourceDir() / "examples"; }
inline std::filesystem::path NginxTemplate() { return SourceDir() / "conf" / "nginx-fastcgi.conf"; }
inline std::filesystem::path NginxBinary() { return "/usr/sbin/nginx"; }
inline std::filesystem::path ApacheBinary() { return "/usr/sbin/apache2"; }
inline std::filesystem::path LighttpdBinary() { return "/usr/sbin/lighttpd"; }
inline std::filesystem::path ApacheTemplate() { return SourceDir() / "conf" / "apache-ajp.conf"; }
inline std::filesystem::path ApacheBalancerTemplate() {
  return SourceDir() / "conf" / "apache-ajp-balancer.conf";
}
inline std::filesystem::path LighttpdTemplate() {
  return SourceDir() / "conf" / "lighttpd-scgi.conf";
}

}  // namespace shoal::tests
