#include "protocols/protocol.h"

#include <gtest/gtest.h>

#include <string>

namespace shoal::protocols {
namespace {

TEST(DetectProtocolTest, TellsProtocolsApartByTheirFirstBytes) {
  EXPECT_EQ(DetectProtocol(std::string("\x01\x01", 2)), Protocol::kFastCgi);  // BEGIN_REQUEST
  EXPECT_EQ(DetectProtocol(std::string("\x01\x09", 2)), Protocol::kFastCgi);  // GET_VALUES
  EXPECT_EQ(DetectProtocol("70:CONTENT_LENGTH"), Protocol::kScgi);
  EXPECT_EQ(DetectProtocol("0:"), Protocol::kScgi);
  EXPECT_EQ(DetectProtocol(std::string("\x12\x34", 2)), Protocol::kAjp);
}

TEST(DetectProtocolTest, RefusesEverythingElse) {
  EXPECT_EQ(DetectProtocol("GET / HTTP/1.1"), std::nullopt);
  EXPECT_EQ(DetectProtocol(std::string("\x01\x05", 2)), std::nullopt);  // STDIN first
  EXPECT_EQ(DetectProtocol(std::string("\x02\x01", 2)), std::nullopt);  // FastCGI version 2
  EXPECT_EQ(DetectProtocol("7"), std::nullopt);                          // too short to tell
  EXPECT_EQ(DetectProtocol(std::string("\x12\x35", 2)), std::nullopt);
  EXPECT_EQ(ProtocolName(Protocol::kScgi), "scgi");
  EXPECT_EQ(ProtocolName(Protocol::kAjp), "ajp");
}

}  // namespace
}  // namespace shoal::protocols
