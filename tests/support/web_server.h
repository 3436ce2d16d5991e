// WebServer: the web server a test runs in front of shoal (nginx, Apache or
// lighttpd), as ServedApp and BalancedApp hold it.
//
// Each implementation renders its conf/ template into the test's run
// directory, runs the server in the foreground as a ChildProcess, and stops
// it gracefully, bounded, in its destructor. Driven from one thread (others
// may meanwhile talk HTTP to it).
#pragma once

#include <string>

namespace shoal::tests {

class WebServer {
 public:
  virtual ~WebServer() = default;

  // The 127.0.0.1 port it serves HTTP on.
  virtual int port() const = 0;

  // Its output and logs so far, each under a "--- name ---" line, for
  // failure messages.
  virtual std::string Diagnostics() const = 0;
};

}  // namespace shoal::tests
