// ServingTest: the GoogleTest fixture for tests that talk to a served app.
//
// Serve() starts shoal behind a web server (a ServedApp); TearDown() prints the logs
// of every process involved when the test failed, and the fixture's end
// stops them all. Test-thread only.
#pragma once

#include <gtest/gtest.h>

#include <cctype>
#include <iostream>
#include <string>
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

// Names a parameterised test after its front end ("nginxfastcgi").
inline std::string FrontEndTestName(const ::testing::TestParamInfo<FrontEnd>& info) {
  std::string name;
  for (char c : FrontEndName(info.param)) {
    if (std::isalnum(static_cast<unsigned char>(c))) name += c;
  }
  return name;
}

// A ServingTest run once per front end (TEST_P).
class FrontEndTest : public ServingTest, public ::testing::WithParamInterface<FrontEnd> {};

}  // namespace shoal::tests
