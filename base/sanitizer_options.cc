// The sanitizers' defaults for every shoal executable built with
// SHOAL_SANITIZE=ON (linked into shoal, unit_tests and integration_tests
// only then). ASAN_OPTIONS and UBSAN_OPTIONS from the environment are read
// after these and win; scripts/test --sanitize adds where reports go.
//
// No LeakSanitizer: the embedded CPython keeps what it allocates until the
// process ends and a worker ends in _exit, where LeakSanitizer never runs, so
// what it reports at a master's or a test binary's exit is the interpreter's
// (a few hundred blocks from libpython), and a failed exit would also break
// the build's gtest discovery, which runs unit_tests without our options.
// The options functions are called by the sanitizer runtimes before main,
// in any process; they only return a constant.

#include <fcntl.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>

extern "C" const char* __asan_default_options() {
  return "detect_leaks=0:print_stacktrace=1:strict_init_order=1";
}

extern "C" const char* __ubsan_default_options() {
  return "print_stacktrace=1:print_summary=1:report_error_type=1:halt_on_error=1";
}

// Called by either runtime with the one-line SUMMARY of every report, in the
// process that hit it (a forked worker too), instead of printing it. Prints
// it to stderr as the default does and, if SHOAL_SANITIZER_REPORTS names a
// directory, appends it to summary.<pid> there: UBSan writes its reports to
// stderr whatever log_path says, and a worker's stderr is only the master's
// log, which a passing test never shows; scripts/test --sanitize fails on
// any file in that directory. Only plain syscalls after the runtime's report.
extern "C" void __sanitizer_report_error_summary(const char* summary) {
  const size_t length = strlen(summary);
  (void)!write(STDERR_FILENO, summary, length);
  (void)!write(STDERR_FILENO, "\n", 1);
  const char* dir = getenv("SHOAL_SANITIZER_REPORTS");
  if (dir == nullptr || *dir == '\0') return;
  char path[4096];
  snprintf(path, sizeof path, "%s/summary.%d", dir, static_cast<int>(getpid()));
  const int fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (fd < 0) return;
  (void)!write(fd, summary, length);
  (void)!write(fd, "\n", 1);
  close(fd);
}
