#include "protocols/fastcgi_records.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace shoal::protocols {
namespace {

TEST(FastCgiRecordsTest, HeaderRoundTrips) {
  std::string out;
  AppendRecordHeader(out, FCGI_STDOUT, 0x1234, 300);
  ASSERT_EQ(out.size(), size_t{FCGI_HEADER_LEN});
  RecordHeader header = ParseRecordHeader(out);
  EXPECT_EQ(header.version, FCGI_VERSION_1);
  EXPECT_EQ(header.type, FCGI_STDOUT);
  EXPECT_EQ(header.request_id, 0x1234);
  EXPECT_EQ(header.content_length, 300);
  EXPECT_EQ(header.padding_length, 0);
  EXPECT_EQ(header.record_size(), 308u);
}

TEST(FastCgiRecordsTest, EndRequestCarriesAppAndProtocolStatus) {
  std::string out;
  AppendEndRequest(out, 7, FCGI_CANT_MPX_CONN, 0x01020304);
  ASSERT_EQ(out.size(), 16u);
  EXPECT_EQ(ParseRecordHeader(out).type, FCGI_END_REQUEST);
  EXPECT_EQ(out.substr(8, 5), std::string("\x01\x02\x03\x04\x01", 5));
}

TEST(FastCgiRecordsTest, PairsWithShortAndLongLengthsDecodeInPlace) {
  std::string long_value(200, 'v');
  std::string content = std::string("\x04\x03") + "NAMEval" + "\x01" +
                        std::string("\x80\x00\x00\xc8", 4) + "N" + long_value +
                        std::string("\x05\x00", 2) + "EMPTY";
  std::vector<Param> pairs;
  ASSERT_TRUE(ParseNameValuePairs(content, pairs));
  ASSERT_EQ(pairs.size(), 3u);
  EXPECT_EQ(pairs[0].name, "NAME");
  EXPECT_EQ(pairs[0].value, "val");
  EXPECT_EQ(pairs[1].name, "N");
  EXPECT_EQ(pairs[1].value, long_value);
  EXPECT_EQ(pairs[2].name, "EMPTY");
  EXPECT_EQ(pairs[2].value, "");
  EXPECT_EQ(pairs[0].name.data(), content.data() + 2) << "a view into the content, not a copy";
}

TEST(FastCgiRecordsTest, ALengthPastTheEndIsMalformed) {
  std::vector<Param> pairs;
  EXPECT_FALSE(ParseNameValuePairs(std::string("\x04\x03NAMEva"), pairs));
  EXPECT_FALSE(ParseNameValuePairs(std::string("\x01\x80\x00", 3), pairs));  // cut 4-byte length
  pairs.clear();
  // Named: the pairs kept are views into it, read after the call.
  const std::string one_good_then_cut("\x01\x01" "ab" "\x02", 5);
  EXPECT_FALSE(ParseNameValuePairs(one_good_then_cut, pairs));
  ASSERT_EQ(pairs.size(), 1u) << "the pairs before the broken one are kept";
  EXPECT_EQ(pairs[0].name, "a");
  EXPECT_EQ(pairs[0].value, "b");
}

}  // namespace
}  // namespace shoal::protocols
