// LighttpdProcess: a lighttpd in front of shoal over SCGI, for one test.
//
// Renders a conf/ template (conf/lighttpd-scgi.conf unless told otherwise)
// into RUN/lighttpd.conf, filling @PORT@ (where lighttpd listens on
// 127.0.0.1), @SOCKET@ (shoal's unix socket) and @PREFIX@ (RUN, where its pid
// file, logs and spooled uploads go), plus any extra placeholders, and runs
// `lighttpd -D -f RUN/lighttpd.conf` in the foreground, owned through
// ChildProcess; its own output goes to RUN/lighttpd.out, its error log to
// RUN/lighttpd-error.log. The destructor stops it with SIGINT (graceful),
// then TERM, then KILL, each bounded. Driven from one thread.
//
// The template passes only /app/... on, as SCRIPT_NAME=/app and PATH_INFO.
#pragma once

#include <chrono>
#include <filesystem>

#include "support/child_process.h"
#include "support/conf_template.h"
#include "support/paths.h"
#include "support/web_server.h"

namespace shoal::tests {

class LighttpdProcess : public WebServer {
 public:
  // Starts lighttpd and waits up to `timeout` until 127.0.0.1:`port` accepts
  // connections. Throws std::runtime_error, with lighttpd's output and error
  // log, if the template cannot be rendered, or lighttpd exits or does not
  // answer in time. REQUIRES: `run_dir` exists and is writable.
  LighttpdProcess(const std::filesystem::path& run_dir, const std::filesystem::path& shoal_socket,
                  int port, std::chrono::milliseconds timeout = std::chrono::seconds(10),
                  const std::filesystem::path& conf_template = LighttpdTemplate(),
                  const ConfValues& extra = {});

  int port() const override { return port_; }
  std::string Diagnostics() const override;

 private:
  // Writes RUN/lighttpd.conf; returns its path.
  static std::filesystem::path WriteConf(const std::filesystem::path& run_dir,
                                         const std::filesystem::path& shoal_socket, int port,
                                         const std::filesystem::path& conf_template,
                                         ConfValues values);

  std::filesystem::path run_dir_;
  int port_;
  ChildProcess child_;
};

}  // namespace shoal::tests
