// Rendering of conf/nginx-fastcgi.conf, the nginx example the tests run.
//
// The template's placeholders are @LISTEN@, @SOCKET@ and @PREFIX@ (see its
// header comment). scripts/demo renders the same file the same way.
#pragma once

#include <string>
#include <string_view>

namespace shoal::tests {

struct NginxConfValues {
  std::string listen;  // e.g. "127.0.0.1:8000"
  std::string socket;  // shoal's unix socket path
  std::string prefix;  // nginx's writable run directory
  // Prepend `user root;`: nginx started as root would otherwise run its
  // workers as `nobody`, who cannot connect to root's 0660 socket.
  bool as_root = false;
};

// Returns `text` with every placeholder replaced by its value.
std::string RenderNginxConf(std::string_view text, const NginxConfValues& values);

}  // namespace shoal::tests
