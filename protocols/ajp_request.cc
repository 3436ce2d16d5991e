#include "protocols/ajp_request.h"

#include <array>
#include <cctype>
#include <charconv>

#include "base/ascii.h"
#include "protocols/ajp_codec.h"
#include "protocols/cgi_params.h"

namespace shoal::protocols::ajp {
namespace {

// Method codes 1..27 (Apache's ajp_header.c, Tomcat's Constants).
constexpr std::array<std::string_view, 28> kMethods = {
    "",          "OPTIONS",          "GET",        "HEAD",          "POST",
    "PUT",       "DELETE",           "TRACE",      "PROPFIND",      "PROPPATCH",
    "MKCOL",     "COPY",             "MOVE",       "LOCK",          "UNLOCK",
    "ACL",       "REPORT",           "VERSION-CONTROL", "CHECKIN",  "CHECKOUT",
    "UNCHECKOUT", "SEARCH",          "MKWORKSPACE", "UPDATE",       "LABEL",
    "MERGE",     "BASELINE-CONTROL", "MKACTIVITY"};
constexpr uint8_t kStoredMethodCode = 0xFF;

// Request header codes 0xA001..0xA00E.
constexpr std::array<std::string_view, 14> kHeaderNames = {
    "Accept",     "Accept-Charset", "Accept-Encoding", "Accept-Language", "Authorization",
    "Connection", "Content-Type",   "Content-Length",  "Cookie",          "Cookie2",
    "Host",       "Pragma",         "Referer",         "User-Agent"};

// Attribute codes.
enum : uint8_t {
  kContext = 0x01,
  kServletPath = 0x02,
  kRemoteUser = 0x03,
  kAuthType = 0x04,
  kQueryString = 0x05,
  kRoute = 0x06,
  kSslCert = 0x07,
  kSslCipher = 0x08,
  kSslSession = 0x09,
  kRequestAttribute = 0x0A,
  kSslKeySize = 0x0B,
  kSecret = 0x0C,
  kStoredMethod = 0x0D,
  kAttributesEnd = 0xFF,
};

Status Malformed(const std::string& why) {
  return Status::Error("malformed AJP FORWARD_REQUEST: " + why);
}

std::string Owned(std::optional<std::string_view> value) {
  return value ? std::string(*value) : std::string();
}

// "X-Forwarded-For" → "HTTP_X_FORWARDED_FOR"; nullopt for names outside
// [A-Za-z0-9-], which CGI drops (X_Forwarded_For would spoof the real one).
std::optional<std::string> CgiHeaderName(std::string_view name) {
  std::string key = "HTTP_";
  for (char c : name) {
    if (c == '-') {
      key.push_back('_');
    } else if (std::isalnum(static_cast<unsigned char>(c))) {
      key.push_back(static_cast<char>(std::toupper(static_cast<unsigned char>(c))));
    } else {
      return std::nullopt;
    }
  }
  return name.empty() ? std::nullopt : std::optional<std::string>(key);
}

}  // namespace

Result<ForwardRequest> ParseForwardRequest(std::string_view payload) {
  Reader in(payload);
  if (in.Byte() != kForwardRequest) return Malformed("not a FORWARD_REQUEST");
  ForwardRequest request;
  uint8_t method = in.Byte();
  if (method < kMethods.size() && method != 0) {
    request.method = kMethods[method];
  } else if (method != kStoredMethodCode) {
    return Malformed("unknown method code " + std::to_string(method));
  }
  request.protocol = Owned(in.String());
  request.uri = Owned(in.String());
  request.remote_addr = Owned(in.String());
  if (auto host = in.String()) request.remote_host = std::string(*host);
  request.server_name = Owned(in.String());
  request.server_port = in.Uint16();
  request.is_ssl = in.Bool();
  uint16_t header_count = in.Uint16();
  for (uint16_t i = 0; i < header_count && !in.failed(); ++i) {
    std::string name;
    if (in.Peek() == 0xA0) {
      uint16_t code = in.Uint16();
      size_t index = code & 0xFF;
      if (index == 0 || index > kHeaderNames.size()) {
        return Malformed("unknown header code " + std::to_string(code));
      }
      name = kHeaderNames[index - 1];
    } else {
      name = Owned(in.String());
    }
    request.headers.emplace_back(std::move(name), Owned(in.String()));
  }
  for (;;) {
    if (in.failed()) return Malformed("truncated");
    uint8_t code = in.Byte();
    if (in.failed()) return Malformed("no end of attributes");
    if (code == kAttributesEnd) break;
    switch (code) {
      case kContext:
      case kServletPath:
        in.String();  // never sent by Apache; nothing in CGI to map to
        break;
      case kRemoteUser: request.remote_user = Owned(in.String()); break;
      case kAuthType: request.auth_type = Owned(in.String()); break;
      case kQueryString: request.query_string = Owned(in.String()); break;
      case kRoute: request.route = Owned(in.String()); break;
      case kSslCert: request.ssl_cert = Owned(in.String()); break;
      case kSslCipher: request.ssl_cipher = Owned(in.String()); break;
      case kSslSession: request.ssl_session = Owned(in.String()); break;
      case kSslKeySize: request.ssl_key_size = in.Uint16(); break;
      case kSecret: request.secret = Owned(in.String()); break;
      case kStoredMethod: request.method = Owned(in.String()); break;
      case kRequestAttribute: {
        std::string name = Owned(in.String());
        request.request_attributes.emplace_back(std::move(name), Owned(in.String()));
        break;
      }
      default:
        return Malformed("unknown attribute code " + std::to_string(code));
    }
  }
  if (request.method.empty()) return Malformed("method code 0xFF without a stored method");
  return request;
}

Result<CgiRequest> ToCgi(const ForwardRequest& request) {
  CgiRequest cgi;
  Pairs& p = cgi.params;
  const std::string query = request.query_string.value_or("");
  p.emplace_back("GATEWAY_INTERFACE", "CGI/1.1");
  p.emplace_back("REQUEST_METHOD", request.method);
  p.emplace_back("SERVER_PROTOCOL", request.protocol);
  p.emplace_back("REQUEST_URI", query.empty() ? request.uri : request.uri + "?" + query);
  p.emplace_back("QUERY_STRING", query);
  p.emplace_back("REMOTE_ADDR", request.remote_addr);
  if (request.remote_host) p.emplace_back("REMOTE_HOST", *request.remote_host);
  p.emplace_back("SERVER_NAME", request.server_name);
  p.emplace_back("SERVER_PORT", std::to_string(request.server_port));
  p.emplace_back("REQUEST_SCHEME", request.is_ssl ? "https" : "http");
  if (request.is_ssl) p.emplace_back("HTTPS", "on");
  if (request.remote_user) p.emplace_back("REMOTE_USER", *request.remote_user);
  if (request.auth_type) p.emplace_back("AUTH_TYPE", *request.auth_type);
  if (request.route) p.emplace_back("AJP_ROUTE", *request.route);
  if (request.ssl_cert) p.emplace_back("SSL_CLIENT_CERT", *request.ssl_cert);
  if (request.ssl_cipher) p.emplace_back("SSL_CIPHER", *request.ssl_cipher);
  if (request.ssl_session) p.emplace_back("SSL_SESSION_ID", *request.ssl_session);
  if (request.ssl_key_size) {
    p.emplace_back("SSL_CIPHER_USEKEYSIZE", std::to_string(*request.ssl_key_size));
  }
  for (const auto& [name, value] : request.request_attributes) {
    if (name == "AJP_REMOTE_PORT") {
      p.emplace_back("REMOTE_PORT", value);
    } else if (name == "AJP_LOCAL_ADDR") {
      p.emplace_back("SERVER_ADDR", value);
    } else if (name == "AJP_SSL_PROTOCOL") {
      p.emplace_back("SSL_PROTOCOL", value);
    } else {
      p.emplace_back("AJP_" + name, value);  // never a CGI key
    }
  }
  int content_lengths = 0;
  for (const auto& [name, value] : request.headers) {
    if (EqualsIgnoringAsciiCase(name, "Content-Length")) {
      uint64_t length = 0;
      auto [end, err] = std::from_chars(value.data(), value.data() + value.size(), length);
      if (value.empty() || err != std::errc() || end != value.data() + value.size()) {
        return Status::Error("AJP request with a Content-Length that is not a number: '" +
                             value + "'");
      }
      if (++content_lengths > 1) return Status::Error("AJP request with two Content-Lengths");
      cgi.content_length = length;
      p.emplace_back("CONTENT_LENGTH", value);
    } else if (EqualsIgnoringAsciiCase(name, "Content-Type")) {
      p.emplace_back("CONTENT_TYPE", value);
    } else if (EqualsIgnoringAsciiCase(name, "Cookie")) {
      p.emplace_back("HTTP_COOKIE", JoinCookiesAsOneHeader(value));
    } else if (std::optional<std::string> key = CgiHeaderName(name)) {
      if (EqualsIgnoringAsciiCase(name, "Transfer-Encoding")) cgi.chunked = true;
      p.emplace_back(std::move(*key), value);
    }
  }
  return cgi;
}

}  // namespace shoal::protocols::ajp
