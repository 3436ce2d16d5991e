#include "service/logging.h"

#include <unistd.h>

#include <cerrno>
#include <memory>
#include <mutex>

#include <spdlog/sinks/base_sink.h>
#include <spdlog/spdlog.h>

namespace shoal::service {
namespace {

// Writes each line of a record to fd 2 in a single write(2).
class LineSink final : public spdlog::sinks::base_sink<std::mutex> {
 protected:
  void sink_it_(const spdlog::details::log_msg& msg) override {
    std::string_view payload(msg.payload.data(), msg.payload.size());
    do {
      size_t newline = payload.find('\n');
      spdlog::details::log_msg line = msg;
      line.payload = payload.substr(0, newline);
      WriteLine(line);
      payload = newline == std::string_view::npos ? std::string_view() : payload.substr(newline + 1);
    } while (!payload.empty());
  }
  void flush_() override {}

 private:
  void WriteLine(const spdlog::details::log_msg& line) {
    spdlog::memory_buf_t formatted;
    formatter_->format(line, formatted);
    size_t size = formatted.size();
    if (size > kMaxLogLine) {
      size = kMaxLogLine;
      formatted[size - 1] = '\n';
    }
    const char* data = formatted.data();
    while (size > 0) {
      ssize_t n = ::write(STDERR_FILENO, data, size);
      if (n < 0) {
        if (errno == EINTR) continue;
        return;  // nowhere left to report it
      }
      data += n;
      size -= static_cast<size_t>(n);
    }
  }
};

}  // namespace

void InitLogging(const std::string& role) {
  auto sink = std::make_shared<LineSink>();
  auto logger = std::make_shared<spdlog::logger>(role, std::move(sink));
  logger->set_pattern("%l [%P %n] %v");
  logger->set_level(spdlog::level::info);
  spdlog::set_default_logger(std::move(logger));
}

}  // namespace shoal::service
