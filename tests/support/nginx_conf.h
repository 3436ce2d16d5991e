// Rendering of conf/nginx-fastcgi.conf, the nginx example the tests run.
//
// The templates' placeholders are @LISTEN@, @SOCKET@ and @PREFIX@ (see
// conf/nginx-fastcgi.conf's header comment), plus any a template adds (the
// TLS example's @CERT@ and @KEY@), given in `extra`. scripts/demo renders
// conf/nginx-fastcgi.conf the same way.
#pragma once

#include <map>
#include <string>
#include <string_view>

namespace shoal::tests {

struct NginxConfValues {
  std::string listen;  // e.g. "127.0.0.1:8000"
  std::string socket;  // shoal's unix socket path
  std::string prefix;  // nginx's writable run directory
  // Prepend `user root;`: nginx started as root would otherwise run its
  // workers as `nobody`, who cannot connect to root's 0660 socket. Not done
  // for a template with its own `user` line.
  bool as_root = false;
  // More placeholders: {"CERT", "/run/c.pem"} replaces @CERT@.
  std::map<std::string, std::string> extra = {};
};

// Returns `text` with every placeholder replaced by its value.
std::string RenderNginxConf(std::string_view text, const NginxConfValues& values);

}  // namespace shoal::tests
