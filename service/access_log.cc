#include "service/access_log.h"

#include <algorithm>
#include <cstdio>

namespace shoal::service {
namespace {

// Each field's share of the line. With the fixed fields (host, user and
// time are bounded too) they sum to well under kMaxAccessLine.
constexpr size_t kMaxHost = 64;
constexpr size_t kMaxUser = 128;
constexpr size_t kMaxMethod = 32;
constexpr size_t kMaxUri = 2048;
constexpr size_t kMaxProtocol = 32;
constexpr size_t kMaxReferer = 1024;
constexpr size_t kMaxUserAgent = 512;
static_assert(kMaxHost + kMaxUser + kMaxMethod + kMaxUri + kMaxProtocol + kMaxReferer +
                  kMaxUserAgent + 128 <= kMaxAccessLine);

constexpr std::string_view kCut = "...";

// How `byte` is written in the log: empty when it stands for itself.
std::string_view Escape(unsigned char byte, char (&buffer)[5]) {
  switch (byte) {
    case '"': return "\\\"";
    case '\\': return "\\\\";
    case '\b': return "\\b";
    case '\n': return "\\n";
    case '\r': return "\\r";
    case '\t': return "\\t";
    case '\v': return "\\v";
    default: break;
  }
  if (byte >= 0x20 && byte < 0x7f) return {};
  static constexpr char kHex[] = "0123456789abcdef";
  buffer[0] = '\\';
  buffer[1] = 'x';
  buffer[2] = kHex[byte >> 4];
  buffer[3] = kHex[byte & 0xf];
  return std::string_view(buffer, 4);
}

// A field that may be absent: `-` then, as Apache writes it.
void AppendField(std::string& out, std::string_view text, size_t limit) {
  if (text.empty()) {
    out += '-';
  } else {
    AppendEscaped(out, text, limit);
  }
}

void AppendTime(std::string& out, time_t when) {
  static constexpr const char* kMonths[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                            "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  tm local{};
  localtime_r(&when, &local);
  const long offset_minutes = local.tm_gmtoff / 60;
  const long offset = offset_minutes < 0 ? -offset_minutes : offset_minutes;
  char buffer[64];
  int length = std::snprintf(buffer, sizeof(buffer), "[%02d/%s/%04d:%02d:%02d:%02d %c%02ld%02ld]",
                             local.tm_mday, kMonths[local.tm_mon % 12], local.tm_year + 1900,
                             local.tm_hour, local.tm_min, local.tm_sec,
                             offset_minutes < 0 ? '-' : '+', offset / 60, offset % 60);
  if (length > 0) out.append(buffer, std::min<size_t>(static_cast<size_t>(length), sizeof(buffer) - 1));
}

}  // namespace

void AppendEscaped(std::string& out, std::string_view text, size_t limit) {
  char buffer[5];
  size_t whole = 0;
  for (char c : text) {
    std::string_view escaped = Escape(static_cast<unsigned char>(c), buffer);
    whole += escaped.empty() ? 1 : escaped.size();
  }
  // All of it if it fits; else as much as fits with the mark after it.
  const size_t room = whole <= limit ? whole : limit - std::min(limit, kCut.size());
  size_t written = 0;
  for (char c : text) {
    std::string_view escaped = Escape(static_cast<unsigned char>(c), buffer);
    const size_t width = escaped.empty() ? 1 : escaped.size();
    if (written + width > room) break;
    if (escaped.empty()) {
      out += c;
    } else {
      out += escaped;
    }
    written += width;
  }
  if (whole > limit) out += kCut;
}

std::string FormatAccessLine(const AccessRecord& record) {
  std::string line;
  line.reserve(256);
  AppendField(line, record.remote_addr, kMaxHost);
  line += " - ";
  AppendField(line, record.remote_user, kMaxUser);
  line += ' ';
  AppendTime(line, record.time);
  line += " \"";
  AppendEscaped(line, record.method, kMaxMethod);
  line += ' ';
  if (!record.request_uri.empty()) {
    AppendEscaped(line, record.request_uri, kMaxUri);
  } else {
    std::string target;
    target.reserve(record.script_name.size() + record.path_info.size() +
                   record.query_string.size() + 1);
    target.append(record.script_name).append(record.path_info);
    if (!record.query_string.empty()) target.append("?").append(record.query_string);
    AppendEscaped(line, target, kMaxUri);
  }
  if (!record.protocol.empty()) {
    line += ' ';
    AppendEscaped(line, record.protocol, kMaxProtocol);
  }
  line += "\" ";
  if (record.status > 0 && record.status < 1000) {
    line += std::to_string(record.status);
  } else {
    line += '-';
  }
  line += ' ';
  if (record.body_bytes > 0) {
    line += std::to_string(record.body_bytes);
  } else {
    line += '-';
  }
  line += " \"";
  AppendField(line, record.referer, kMaxReferer);
  line += "\" \"";
  AppendField(line, record.user_agent, kMaxUserAgent);
  line += "\"\n";
  return line;
}

}  // namespace shoal::service
