#include "protocols/scgi_parser.h"

#include <charconv>
#include <string>

namespace shoal::protocols {
namespace {

Status Malformed(const std::string& why) { return Status::Error("malformed SCGI header: " + why); }

bool AllDigits(std::string_view text) {
  return !text.empty() && text.find_first_not_of("0123456789") == std::string_view::npos;
}

}  // namespace

Result<std::optional<ScgiHead>> ParseScgiHead(std::string_view data, size_t max_header_size) {
  // The netstring's length: digits, then ':'.
  size_t colon = data.find(':');
  std::string_view digits = data.substr(0, colon == std::string_view::npos ? data.size() : colon);
  if (!digits.empty() && !AllDigits(digits)) return Malformed("the length is not a number");
  if (digits.size() > 10) return Malformed("the length has more than 10 digits");
  if (colon == std::string_view::npos) return std::optional<ScgiHead>();
  if (digits.empty()) return Malformed("no length before ':'");
  uint64_t length = 0;
  std::from_chars(digits.data(), digits.data() + digits.size(), length);
  if (length > max_header_size) {
    return Status::Error("SCGI header of " + std::to_string(length) +
                         " bytes is over --max-header-size (" + std::to_string(max_header_size) +
                         ")");
  }
  size_t end = colon + 1 + static_cast<size_t>(length);
  if (data.size() <= end) return std::optional<ScgiHead>();
  if (data[end] != ',') return Malformed("the netstring does not end with ','");

  ScgiHead head;
  head.header_bytes = end + 1;
  std::string_view block = data.substr(colon + 1, static_cast<size_t>(length));
  if (!block.empty() && block.back() != '\0') return Malformed("the last value has no NUL");
  while (!block.empty()) {
    size_t name_end = block.find('\0');
    size_t value_end = block.find('\0', name_end + 1);
    if (value_end == std::string_view::npos) return Malformed("a name has no value");
    std::string_view name = block.substr(0, name_end);
    if (name.empty()) return Malformed("an empty name");
    head.params.push_back({name, block.substr(name_end + 1, value_end - name_end - 1)});
    block.remove_prefix(value_end + 1);
  }
  if (head.params.empty() || head.params[0].name != "CONTENT_LENGTH") {
    return Malformed("CONTENT_LENGTH is not the first header");
  }
  std::string_view content_length = head.params[0].value;
  if (!AllDigits(content_length) || content_length.size() > 19) {
    return Malformed("CONTENT_LENGTH '" + std::string(content_length) + "' is not a number");
  }
  std::from_chars(content_length.data(), content_length.data() + content_length.size(),
                  head.content_length);
  bool scgi = false;
  for (const Param& p : head.params) scgi = scgi || (p.name == "SCGI" && p.value == "1");
  if (!scgi) return Malformed("no SCGI=1 header");
  return std::optional<ScgiHead>(std::move(head));
}

}  // namespace shoal::protocols
