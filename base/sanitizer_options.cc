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
// Both functions are called by the sanitizer runtimes before main, in any
// process; they only return a constant.

extern "C" const char* __asan_default_options() {
  return "detect_leaks=0:print_stacktrace=1:strict_init_order=1";
}

extern "C" const char* __ubsan_default_options() {
  return "print_stacktrace=1:halt_on_error=1";
}
