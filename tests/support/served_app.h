// ServedApp: shoal serving one WSGI app behind a web server, for one test.
// BalancedApp: one app on two shoal daemons behind Apache's balancer.
//
// ServedApp owns, in order: a run directory (TempDir), shoal, and a web
// server on a free 127.0.0.1 port that passes requests to it: nginx
// (FastCGI or SCGI), lighttpd (SCGI) or Apache (FastCGI) over shoal's unix
// socket RUN/shoal.sock, or Apache (AJP13 or SCGI) over shoal's TCP port on
// 127.0.0.1. The destructor tears
// down in reverse: the web server, then shoal (SIGTERM, bounded; a test may
// have stopped it already), then the directory. Driven from the test's
// thread; Get, Post and Request may also be called from others.
#pragma once

#include <array>
#include <chrono>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "support/conf_template.h"
#include "support/http_client.h"
#include "support/paths.h"
#include "support/shoal_process.h"
#include "support/temp_dir.h"
#include "support/web_server.h"

namespace shoal::tests {

// The web server and protocol in front of shoal.
enum class FrontEnd {
  kNginxFastCgi,  // conf/nginx-fastcgi.conf, shoal --protocol fastcgi on a unix socket
  kNginxFastCgiKeepalive,  // conf/nginx-fastcgi-keepalive.conf: keep-conn, upstream keepalive
  kNginxScgi,     // conf/nginx-scgi.conf, shoal --protocol scgi on a unix socket
  kApacheAjp,     // conf/apache-ajp.conf, shoal --protocol ajp on 127.0.0.1:PORT
  kApacheFastCgi,  // conf/apache-fastcgi.conf, shoal --protocol fastcgi on a unix socket
  kApacheScgi,    // conf/apache-scgi.conf, shoal --protocol scgi on 127.0.0.1:PORT
  kLighttpdScgi,  // conf/lighttpd-scgi.conf, shoal --protocol scgi on a unix socket
};

// Every front end, for the suites that must hold behind each of them
// (INSTANTIATE_TEST_SUITE_P(..., testing::ValuesIn(kAllFrontEnds), ...)). A
// front end added to FrontEnd belongs here too.
inline constexpr std::array kAllFrontEnds{
    FrontEnd::kNginxFastCgi, FrontEnd::kNginxFastCgiKeepalive, FrontEnd::kNginxScgi,
    FrontEnd::kApacheAjp,    FrontEnd::kApacheFastCgi,         FrontEnd::kApacheScgi,
    FrontEnd::kLighttpdScgi,
};

// "nginx-fastcgi", "nginx-scgi", "apache-ajp", "apache-fastcgi",
// "lighttpd-scgi"...: for test names.
std::string FrontEndName(FrontEnd front_end);

// The conf/ template the front end runs, e.g. conf/apache-fastcgi.conf.
std::filesystem::path FrontEndTemplate(FrontEnd front_end);

// Whether shoal serves the front end on 127.0.0.1:PORT rather than on a
// unix socket: Apache's AJP13 and SCGI.
bool FrontEndUsesTcp(FrontEnd front_end);

// The path under which the front end's example config passes requests on,
// and which it sends as SCRIPT_NAME: "/app" for lighttpd, "" for the others.
// A test for lighttpd requests "/app/environ" where it requests "/environ"
// from nginx.
std::string FrontEndPrefix(FrontEnd front_end);

// The front end's example config's location for uploads of any size: nginx
// FastCGI's unbuffered "/unbuffered/", nginx SCGI's and lighttpd's spooled
// "/large/" ("/app/large/" behind lighttpd); "/" behind Apache, which
// passes bodies of any size on as they come.
std::string FrontEndUploadLocation(FrontEnd front_end);

struct ServeOptions {
  std::string app = "probe:app";                 // --app; "": none (--wsgi-file in extra_args)
  std::filesystem::path chdir = AppsDir();       // --chdir
  int workers = 2;  // --workers; 0: not passed (an adaptive pool's options may be)
  std::vector<std::string> extra_args = {};      // appended, e.g. {"--script-name", "/x"}
  EnvVars env = {};                              // added to the environment shoal inherits
  FrontEnd front_end = FrontEnd::kNginxFastCgi;  // picks the template, --protocol and --bind
  std::string protocol = {};                     // overrides the front end's --protocol
  std::filesystem::path conf_template = {};      // overrides the front end's template
  ConfValues conf_values = {};                   // its extra placeholders
  // Apache only: shoal's --ajp-secret and the template's secret= (@AJP_SECRET@).
  std::string ajp_secret = {};
  // Apache only: shoal's --ajp-packet-size and Apache's ProxyIOBufferSize.
  int ajp_packet_size = 8192;
  // (`= {}` keeps designated initializers that skip a field free of
  // -Wmissing-field-initializers.)
};

class ServedApp {
 public:
  // Starts shoal, waits up to 15 s for its socket or port, then starts the
  // web server. Throws std::runtime_error, with the logs so far, if either
  // fails.
  explicit ServedApp(const ServeOptions& options = {});

  ShoalProcess& shoal() { return *shoal_; }
  const std::filesystem::path& run_dir() const { return dir_.path(); }
  // shoal's unix socket; empty when the web server reaches shoal over TCP
  // (FrontEndUsesTcp).
  const std::filesystem::path& socket_path() const { return socket_; }
  // shoal's TCP port (FrontEndUsesTcp); 0 for the others.
  int shoal_port() const { return shoal_port_; }
  // The web server's HTTP port.
  int port() const { return web_server_->port(); }
  int workers() const { return workers_; }
  FrontEnd front_end() const { return front_end_; }

  // One request through the web server, to `target` as given (no prefix is
  // added); see HttpRequest.
  HttpResponse Get(std::string_view target,
                   std::chrono::milliseconds timeout = std::chrono::seconds(10)) const {
    return HttpGet(port(), target, timeout);
  }
  HttpResponse Post(std::string_view target, std::string_view body,
                    std::chrono::milliseconds timeout = std::chrono::seconds(10)) const {
    return HttpPost(port(), target, body, timeout);
  }
  HttpResponse Request(std::string_view method, std::string_view target, const HttpHeaders& headers,
                       std::string_view body = {},
                       std::chrono::milliseconds timeout = std::chrono::seconds(10)) const {
    return HttpRequest(port(), method, target, body, timeout, headers);
  }

  // shoal's log and the web server's output and logs, for failure messages.
  std::string Diagnostics() const;

 private:
  TempDir dir_;
  FrontEnd front_end_;
  std::filesystem::path socket_;
  int shoal_port_ = 0;
  int workers_;
  std::unique_ptr<ShoalProcess> shoal_;
  std::unique_ptr<WebServer> web_server_;
};

// BalancedApp: conf/apache-ajp-balancer.conf over two shoal daemons.
//
// Owns, in order: a run directory, shoal node 0 on a free 127.0.0.1 port
// (Apache's member route=node1, log RUN/shoal-node1.log), shoal node 1
// (route=node2), both `--protocol ajp` serving the same app, and one Apache
// balancing over them. Torn down in reverse, like ServedApp. Driven from the
// test's thread; Get and Request may also be called from others.
class BalancedApp {
 public:
  // Starts both shoals with `options` (front_end, conf_template and
  // conf_values are ignored), waits up to 15 s for their ports, then starts
  // Apache. Throws std::runtime_error, with the logs so far, if any fails.
  explicit BalancedApp(const ServeOptions& options = {});

  // Node `i` (0 or 1), which the balancer calls route node`i+1`.
  ShoalProcess& shoal(size_t i) { return *shoals_.at(i); }
  int shoal_port(size_t i) const { return shoal_ports_.at(i); }
  const std::filesystem::path& run_dir() const { return dir_.path(); }
  int port() const { return apache_->port(); }

  HttpResponse Get(std::string_view target,
                   std::chrono::milliseconds timeout = std::chrono::seconds(10)) const {
    return HttpGet(port(), target, timeout);
  }
  HttpResponse Request(std::string_view method, std::string_view target, const HttpHeaders& headers,
                       std::string_view body = {},
                       std::chrono::milliseconds timeout = std::chrono::seconds(10)) const {
    return HttpRequest(port(), method, target, body, timeout, headers);
  }

  // Both shoals' logs and Apache's output and logs, for failure messages.
  std::string Diagnostics() const;

 private:
  TempDir dir_;
  std::array<int, 2> shoal_ports_{};
  std::array<std::unique_ptr<ShoalProcess>, 2> shoals_;
  std::unique_ptr<WebServer> apache_;
};

}  // namespace shoal::tests
