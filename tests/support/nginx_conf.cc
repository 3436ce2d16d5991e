#include "support/nginx_conf.h"

namespace shoal::tests {
namespace {

void ReplaceAll(std::string& text, std::string_view from, std::string_view to) {
  for (size_t at = text.find(from); at != std::string::npos; at = text.find(from, at + to.size())) {
    text.replace(at, from.size(), to);
  }
}

}  // namespace

std::string RenderNginxConf(std::string_view text, const NginxConfValues& values) {
  std::string conf(text);
  ReplaceAll(conf, "@LISTEN@", values.listen);
  ReplaceAll(conf, "@SOCKET@", values.socket);
  ReplaceAll(conf, "@PREFIX@", values.prefix);
  for (const auto& [name, value] : values.extra) ReplaceAll(conf, "@" + name + "@", value);
  // A template that names its user (a stock Debian `user www-data;`) keeps it.
  const bool names_user = conf.starts_with("user ") || conf.find("\nuser ") != std::string::npos;
  if (values.as_root && !names_user) conf = "user root;\n" + conf;
  return conf;
}

}  // namespace shoal::tests
