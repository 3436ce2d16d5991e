// NginxProcess: an nginx in front of shoal, for one test.
//
// Renders a conf/ template (conf/nginx-fastcgi.conf unless told otherwise)
// into RUN/nginx.conf (listening on 127.0.0.1:PORT, passing to shoal's unix
// socket, all its files under RUN, any extra placeholders filled in)
// and runs `nginx -p RUN -c RUN/nginx.conf -g 'daemon off;'` in the
// foreground, owned through ChildProcess; its own output goes to
// RUN/nginx.out, its error log to RUN/error.log. The destructor stops it with
// QUIT (graceful), then TERM, then KILL, each bounded. Driven from one thread.
#pragma once

#include <chrono>
#include <filesystem>
#include <map>
#include <string>

#include "support/child_process.h"
#include "support/paths.h"
#include "support/web_server.h"

namespace shoal::tests {

class NginxProcess : public WebServer {
 public:
  // Starts nginx and waits up to `timeout` until 127.0.0.1:`port` accepts
  // connections. Throws std::runtime_error, with nginx's output and error
  // log, if nginx exits or does not answer in time. REQUIRES: `run_dir`
  // exists and is writable.
  NginxProcess(const std::filesystem::path& run_dir, const std::filesystem::path& shoal_socket,
               int port, std::chrono::milliseconds timeout = std::chrono::seconds(10),
               const std::filesystem::path& conf_template = NginxTemplate(),
               const std::map<std::string, std::string>& extra = {});

  int port() const override { return port_; }

  // nginx's output and error log so far, for failure messages.
  std::string Diagnostics() const override;

 private:
  // Writes RUN/nginx.conf; returns its path.
  static std::filesystem::path WriteConf(const std::filesystem::path& run_dir,
                                         const std::filesystem::path& shoal_socket, int port,
                                         const std::filesystem::path& conf_template,
                                         const std::map<std::string, std::string>& extra);

  std::filesystem::path run_dir_;
  int port_;
  ChildProcess child_;
};

}  // namespace shoal::tests
