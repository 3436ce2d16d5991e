// FakeExchange: an in-memory Exchange for unit tests of python/.
#pragma once

#include <algorithm>
#include <string>
#include <utility>
#include <vector>

#include "protocols/exchange.h"

namespace shoal::python {

class FakeExchange final : public protocols::Exchange {
 public:
  FakeExchange(std::vector<std::pair<std::string, std::string>> params, std::string body = "")
      : owned_(std::move(params)), body_(std::move(body)) {
    for (const auto& [name, value] : owned_) params_.push_back({name, value});
  }

  std::span<const protocols::Param> params() const override { return params_; }
  Result<size_t> ReadBody(char* buffer, size_t size) override {
    size_t n = std::min(size, body_.size() - read_);
    body_.copy(buffer, n, read_);
    read_ += n;
    max_read_ = std::max(max_read_, size);
    return n;
  }
  Status SendHeaders(std::string_view status_line,
                     std::span<const protocols::Header> header_list) override {
    ++header_calls;
    status = status_line;
    for (const auto& h : header_list) headers.emplace_back(h.name, h.value);
    return Status::Ok();
  }
  Status Write(std::string_view data) override {
    if (fail_writes) return Status::Error("write failed: Broken pipe");
    sent.append(data);
    return Status::Ok();
  }
  Result<uint64_t> SendFile(int fd, uint64_t offset, uint64_t length) override {
    ++send_file_calls;
    return Exchange::SendFile(fd, offset, length);
  }
  bool PeerAborted() override { return abort_after_flushes >= 0 && flushes >= abort_after_flushes; }
  Status Flush() override {
    ++flushes;
    flushed_at.push_back(sent.size());
    return Status::Ok();
  }
  Status Finish() override {
    finished = true;
    return Status::Ok();
  }
  void Abort() override { aborted = true; }

  std::string Header(std::string_view name) const {
    for (const auto& [n, v] : headers) {
      if (n == name) return v;
    }
    return "";
  }

  std::string status;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string sent;
  int header_calls = 0;
  int send_file_calls = 0;
  int flushes = 0;
  std::vector<size_t> flushed_at;  // how much had been sent at each Flush
  bool finished = false;
  bool aborted = false;
  bool fail_writes = false;
  int abort_after_flushes = -1;  // PeerAborted() turns true after this many flushes
  size_t read_ = 0;
  size_t max_read_ = 0;

 private:
  std::vector<std::pair<std::string, std::string>> owned_;
  std::vector<protocols::Param> params_;
  std::string body_;
};

// nginx-like params for `method` and `uri`, plus `extra`.
inline std::vector<std::pair<std::string, std::string>> NginxParams(
    const std::string& method, const std::string& uri,
    std::vector<std::pair<std::string, std::string>> extra = {}) {
  std::string path = uri.substr(0, uri.find('?'));
  std::string query = uri.find('?') == std::string::npos ? "" : uri.substr(uri.find('?') + 1);
  std::vector<std::pair<std::string, std::string>> params = {
      {"QUERY_STRING", query},       {"REQUEST_METHOD", method},
      {"CONTENT_TYPE", ""},          {"CONTENT_LENGTH", ""},
      {"SCRIPT_NAME", path},         {"REQUEST_URI", uri},
      {"DOCUMENT_URI", path},        {"DOCUMENT_ROOT", "/usr/share/nginx/html"},
      {"SERVER_PROTOCOL", "HTTP/1.1"}, {"REQUEST_SCHEME", "http"},
      {"GATEWAY_INTERFACE", "CGI/1.1"}, {"SERVER_SOFTWARE", "nginx/1.22.1"},
      {"REMOTE_ADDR", "127.0.0.1"},  {"REMOTE_PORT", "40000"},
      {"SERVER_ADDR", "127.0.0.1"},  {"SERVER_PORT", "8080"},
      {"SERVER_NAME", "localhost"},  {"REDIRECT_STATUS", "200"},
      {"HTTP_HOST", "localhost:8080"}};
  // An extra param replaces the base one of the same name; extras repeating
  // a name are all kept (repeated headers).
  const size_t base = params.size();
  for (auto& e : extra) {
    auto same = std::find_if(params.begin(), params.begin() + static_cast<long>(base),
                             [&](const auto& p) { return p.first == e.first; });
    if (same != params.begin() + static_cast<long>(base)) {
      same->second = e.second;
    } else {
      params.push_back(e);
    }
  }
  return params;
}

}  // namespace shoal::python
