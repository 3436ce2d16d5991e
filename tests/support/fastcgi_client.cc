#include "support/fastcgi_client.h"

#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstdio>

namespace shoal::tests::fastcgi {
namespace {

std::string Pair(const std::string& name, const std::string& value) {
  return std::string(1, static_cast<char>(name.size())) +
         std::string(1, static_cast<char>(value.size())) + name + value;
}

}  // namespace

std::string Record(int type, std::string_view content, int request_id) {
  size_t padding = (8 - content.size() % 8) % 8;
  std::string r = {1,
                   static_cast<char>(type),
                   static_cast<char>(request_id >> 8),
                   static_cast<char>(request_id & 0xff),
                   static_cast<char>(content.size() >> 8),
                   static_cast<char>(content.size() & 0xff),
                   static_cast<char>(padding),
                   0};
  r.append(content);
  r.append(padding, '\0');
  return r;
}

std::string GetRequest(const std::string& uri, bool keep_conn, int request_id) {
  std::string begin = {0, 1, static_cast<char>(keep_conn ? 1 : 0), 0, 0, 0, 0, 0};
  size_t question = uri.find('?');
  std::string query = question == std::string::npos ? "" : uri.substr(question + 1);
  std::string params = Pair("REQUEST_METHOD", "GET") + Pair("REQUEST_URI", uri) +
                       Pair("QUERY_STRING", query) + Pair("SERVER_NAME", "localhost") +
                       Pair("SERVER_PORT", "80") + Pair("SERVER_PROTOCOL", "HTTP/1.1");
  return Record(1, begin, request_id) + Record(4, params, request_id) + Record(4, "", request_id) +
         Record(5, "", request_id);
}

std::string GetValues(const std::vector<std::string>& names) {
  std::string content;
  for (const std::string& name : names) content += Pair(name, "");
  return Record(9, content, 0);
}

std::vector<std::pair<int, std::string>> Records(const std::string& wire) {
  std::vector<std::pair<int, std::string>> out;
  size_t at = 0;
  while (at + 8 <= wire.size()) {
    auto byte = [&](size_t i) { return static_cast<unsigned char>(wire[at + i]); };
    size_t length = byte(4) << 8 | byte(5);
    if (at + 8 + length > wire.size()) break;
    out.emplace_back(byte(1), wire.substr(at + 8, length));
    at += 8 + length + byte(6);
  }
  return out;
}

std::string ReadResponse(int fd, std::chrono::milliseconds timeout, size_t until_records) {
  std::string wire;
  auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    auto records = Records(wire);
    if (until_records > 0 ? records.size() >= until_records
                          : (!records.empty() && records.back().first == 3)) {
      return wire;
    }
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) return wire;
    pollfd wait{fd, POLLIN, 0};
    if (poll(&wait, 1, static_cast<int>(left.count())) <= 0) return wire;
    char buffer[65536];
    ssize_t n = read(fd, buffer, sizeof(buffer));
    if (n <= 0) return wire;
    wire.append(buffer, static_cast<size_t>(n));
  }
}

Fd ConnectUnix(const std::string& path) {
  Fd fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  sockaddr_un address{};
  address.sun_family = AF_UNIX;
  std::snprintf(address.sun_path, sizeof(address.sun_path), "%s", path.c_str());
  if (::connect(fd.get(), reinterpret_cast<sockaddr*>(&address), sizeof(address)) != 0) return Fd();
  return fd;
}

}  // namespace shoal::tests::fastcgi
