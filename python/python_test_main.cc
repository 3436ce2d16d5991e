// GoogleTest main for the unit tests: starts the embedded interpreter once
// (the test thread keeps the GIL) and logs into a buffer the tests can read.
#include <gtest/gtest.h>

#include "service/logging.h"
#include "python/interpreter.h"

int main(int argc, char** argv) {
  testing::InitGoogleTest(&argc, argv);
  shoal::service::InitLogging("test");
  shoal::Status started = shoal::python::InitializeInterpreter({});
  if (!started.ok()) {
    std::fprintf(stderr, "python: %s\n", started.message().c_str());
    return 1;
  }
  return RUN_ALL_TESTS();
}
