// ServedApp: shoal serving one WSGI app behind nginx, for one test.
//
// Owns, in order: a run directory (TempDir), shoal bound to RUN/shoal.sock,
// and an nginx on a free 127.0.0.1 port that passes every request to it.
// The destructor tears down in reverse: nginx, then shoal (SIGTERM, bounded;
// a test may have stopped it already), then the directory. Driven from the
// test's thread; Get and Post may also be called from others.
#pragma once

#include <chrono>
#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "support/http_client.h"
#include "support/nginx_process.h"
#include "support/paths.h"
#include "support/shoal_process.h"
#include "support/temp_dir.h"

namespace shoal::tests {

// The web server and protocol in front of shoal.
enum class FrontEnd {
  kNginxFastCgi,  // conf/nginx-fastcgi.conf, shoal --protocol fastcgi
  kNginxScgi,     // conf/nginx-scgi.conf, shoal --protocol scgi
};

// "nginx-fastcgi", "nginx-scgi": for test names.
std::string FrontEndName(FrontEnd front_end);

struct ServeOptions {
  std::string app = "probe:app";                     // --app
  std::filesystem::path chdir = AppsDir();           // --chdir
  int workers = 2;                                   // --workers
  std::vector<std::string> extra_args = {};          // appended, e.g. {"--script-name", "/x"}
  EnvVars env = {};                                  // added to the environment shoal inherits
  FrontEnd front_end = FrontEnd::kNginxFastCgi;  // picks the template and --protocol
  std::filesystem::path nginx_template = {};     // overrides the front end's template
  std::map<std::string, std::string> nginx_values = {};    // its extra placeholders
  // (`= {}` keeps designated initializers that skip a field free of
  // -Wmissing-field-initializers.)
};

class ServedApp {
 public:
  // Starts shoal, waits up to 15 s for its socket, then starts nginx.
  // Throws std::runtime_error, with the logs so far, if either fails.
  explicit ServedApp(const ServeOptions& options = {});

  ShoalProcess& shoal() { return *shoal_; }
  const std::filesystem::path& run_dir() const { return dir_.path(); }
  const std::filesystem::path& socket_path() const { return socket_; }
  int port() const { return nginx_->port(); }
  int workers() const { return workers_; }

  // One request through nginx; see HttpRequest.
  HttpResponse Get(std::string_view target,
                   std::chrono::milliseconds timeout = std::chrono::seconds(10)) const {
    return HttpGet(port(), target, timeout);
  }
  HttpResponse Post(std::string_view target, std::string_view body,
                    std::chrono::milliseconds timeout = std::chrono::seconds(10)) const {
    return HttpPost(port(), target, body, timeout);
  }
  HttpResponse Request(std::string_view method, std::string_view target,
                       const HttpHeaders& headers, std::string_view body = {},
                       std::chrono::milliseconds timeout = std::chrono::seconds(10)) const {
    return HttpRequest(port(), method, target, body, timeout, headers);
  }

  // shoal's log and nginx's output and error log, for failure messages.
  std::string Diagnostics() const;

 private:
  TempDir dir_;
  std::filesystem::path socket_;
  int workers_;
  std::unique_ptr<ShoalProcess> shoal_;
  std::unique_ptr<NginxProcess> nginx_;
};

}  // namespace shoal::tests
