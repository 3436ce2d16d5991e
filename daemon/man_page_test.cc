#include "daemon/man_page.h"

#include <gtest/gtest.h>

#include <string>

#include "daemon/options.h"

namespace shoal::daemon {
namespace {

// roff's form of `text`: every '-' a minus.
std::string Minus(const std::string& text) {
  std::string out;
  for (char c : text) out += c == '-' ? std::string("\\-") : std::string(1, c);
  return out;
}

TEST(ManPageTest, ListsEveryOptionOfHelpWithItsValueAndDefault) {
  const std::string page = RenderManPage("9.8.7");
  ASSERT_FALSE(DescribeOptions().empty());
  for (const OptionDoc& option : DescribeOptions()) {
    EXPECT_NE(page.find(".B " + Minus((option.short_name ? std::string("-") + option.short_name +
                                                                ", "
                                                          : std::string()) +
                                      "--" + option.long_name)),
              std::string::npos)
        << option.long_name;
    if (!option.default_value.empty()) {
      EXPECT_NE(page.find("(default: " + Minus(option.default_value) + ")"), std::string::npos)
          << option.long_name;
    }
  }
  EXPECT_NE(page.find(".TH SHOAL 1 \"\" \"shoal 9.8.7\""), std::string::npos);
  EXPECT_NE(page.find("shoal status"), std::string::npos);
}

TEST(ManPageTest, DescribeOptionsSplitsTheValueNameFromTheDefault) {
  bool saw_protocol = false;
  for (const OptionDoc& option : DescribeOptions()) {
    if (option.long_name == "protocol") {
      saw_protocol = true;
      EXPECT_EQ(option.value_name, "NAME");
      EXPECT_EQ(option.default_value, "fastcgi");
    }
    if (option.long_name == "help") {
      EXPECT_EQ(option.short_name, 'h');
    }
    if (option.long_name == "debug") {
      EXPECT_EQ(option.value_name, "");
    }
  }
  EXPECT_TRUE(saw_protocol);
}

TEST(ManPageTest, NoLineStartsWithAStrayControlCharacter) {
  const std::string page = RenderManPage("1.0");
  size_t start = 0;
  while (start < page.size()) {
    size_t end = page.find('\n', start);
    const std::string line = page.substr(start, end - start);
    if (line.starts_with("'")) ADD_FAILURE() << line;
    start = end == std::string::npos ? page.size() : end + 1;
  }
}

}  // namespace
}  // namespace shoal::daemon
