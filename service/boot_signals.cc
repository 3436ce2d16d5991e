#include "service/boot_signals.h"

#include <signal.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>

namespace shoal::service {
namespace {

constexpr int kStopSignals[] = {SIGTERM, SIGINT, SIGQUIT};

// Filled before the handlers are installed; read only by them.
char socket_file_to_remove[4096];
char pidfile_to_remove[4096];
char log_line[256];
size_t log_line_size = 0;
// Whether StopOnSignalsWhileBooting ran: EndBootSignals undoes only its
// own handlers (inside a Python program the signals are the program's).
bool installed = false;

void StopNow(int) {
  // Async-signal-safe calls only.
  (void)write(STDERR_FILENO, log_line, log_line_size);
  if (socket_file_to_remove[0] != '\0') unlink(socket_file_to_remove);
  if (pidfile_to_remove[0] != '\0') unlink(pidfile_to_remove);
  _exit(0);
}

}  // namespace

void StopOnSignalsWhileBooting(const std::string& socket_file, const std::string& pidfile) {
  if (socket_file.size() < sizeof(socket_file_to_remove)) {
    std::memcpy(socket_file_to_remove, socket_file.c_str(), socket_file.size() + 1);
  }
  if (pidfile.size() < sizeof(pidfile_to_remove)) {
    std::memcpy(pidfile_to_remove, pidfile.c_str(), pidfile.size() + 1);
  }
  int written = std::snprintf(log_line, sizeof(log_line),
                              "info [%d master] stop signal while starting: nothing served yet; "
                              "exiting\n",
                              static_cast<int>(getpid()));
  log_line_size = written > 0 ? static_cast<size_t>(written) : 0;
  struct sigaction action {};
  action.sa_handler = StopNow;
  sigemptyset(&action.sa_mask);
  for (int signal : kStopSignals) sigaction(signal, &action, nullptr);
  installed = true;
}

void EndBootSignals() {
  if (!installed) return;
  for (int signal : kStopSignals) ::signal(signal, SIG_DFL);
  installed = false;
}

}  // namespace shoal::service
