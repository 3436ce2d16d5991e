// ServingTest: the GoogleTest fixture for tests that talk to a served app.
//
// Serve() starts shoal behind nginx (a ServedApp); TearDown() prints the logs
// of every process involved when the test failed, and the fixture's end
// stops them all. Test-thread only.
#pragma once

#include <gtest/gtest.h>

#include <iostream>
#include <memory>

#include "support/served_app.h"

namespace shoal::tests {

class ServingTest : public ::testing::Test {
 protected:
  // Starts serving; throws (failing the test with the logs) if that fails.
  ServedApp& Serve(const ServeOptions& options = {}) {
    served_ = std::make_unique<ServedApp>(options);
    return *served_;
  }

  void TearDown() override {
    if (HasFailure() && served_) std::cerr << served_->Diagnostics();
  }

  std::unique_ptr<ServedApp> served_;
};

}  // namespace shoal::tests
