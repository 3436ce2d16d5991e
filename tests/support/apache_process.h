// ApacheProcess: an Apache 2.4 in front of shoal, for one test: over AJP13
// (mod_proxy_ajp, alone or balanced), FastCGI (mod_proxy_fcgi) or SCGI
// (mod_proxy_scgi), as the template says.
//
// Renders a conf/ template (conf/apache-ajp.conf, apache-ajp-balancer.conf,
// apache-fastcgi.conf or apache-scgi.conf) into RUN/apache.conf, filling
// @PORT@ (where Apache listens on 127.0.0.1) and @PREFIX@ (RUN, where its
// pid file, logs and locks go) itself and the template's other placeholders
// (@AJP_PORT@, @AJP_SECRET@, @SOCKET@, @SCGI_PORT@...) from `values`.
// Then runs `apache2 -f RUN/apache.conf -DFOREGROUND`, plus `-DAS_ROOT` when
// the test runs as root (the template then switches Apache's children to
// www-data: Apache refuses to serve as root). Owned through ChildProcess; its
// own output goes to RUN/apache.out, its logs to RUN/apache-error.log and
// RUN/apache-access.log. The destructor stops it with SIGTERM, then KILL,
// each bounded: Apache's graceful stop (SIGWINCH) polls its children once a
// second, which would add a second to every test, and a test ends with no
// request in flight. Driven from one thread.
#pragma once

#include <chrono>
#include <filesystem>
#include <string>
#include <vector>

#include "support/child_process.h"
#include "support/conf_template.h"
#include "support/web_server.h"

namespace shoal::tests {

class ApacheProcess : public WebServer {
 public:
  // Starts Apache and waits up to `timeout` until 127.0.0.1:`port` accepts
  // connections. Throws std::runtime_error, with Apache's output and error
  // log, if the template cannot be rendered, or Apache exits or does not
  // answer in time. REQUIRES: `run_dir` exists and is writable.
  ApacheProcess(const std::filesystem::path& run_dir, int port,
                const std::filesystem::path& conf_template, const ConfValues& values,
                std::chrono::milliseconds timeout = std::chrono::seconds(10));

  int port() const override { return port_; }
  std::string Diagnostics() const override;

 private:
  // Writes RUN/apache.conf; returns its path.
  static std::filesystem::path WriteConf(const std::filesystem::path& run_dir, int port,
                                         const std::filesystem::path& conf_template,
                                         ConfValues values);
  // The command line after the program name.
  static std::vector<std::string> Args(const std::filesystem::path& conf);

  std::filesystem::path run_dir_;
  int port_;
  ChildProcess child_;
};

// `apache2 -t -f conf`, with -DAS_ROOT as ApacheProcess adds it: returns
// Apache's exit code (0: the config is valid) and output.
struct ConfigCheck {
  int exit_code = -1;  // -1: did not finish in time
  std::string output;
};
ConfigCheck CheckApacheConf(const std::filesystem::path& conf);

// Lets Apache's children, which run as www-data when the test runs as root
// (-DAS_ROOT), connect to shoal's unix socket `socket`: gives the socket to
// group www-data (shoal makes it 0660) and lets others through its
// directory (mode 0711), as a site would put shoal in Apache's group. Does
// nothing when not root: Apache then runs as the test's user, who owns the
// socket. Throws std::runtime_error if either change fails.
void LetApacheChildrenConnect(const std::filesystem::path& socket);

}  // namespace shoal::tests
