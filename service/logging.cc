#include "service/logging.h"

#include <time.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <memory>
#include <mutex>

#include <spdlog/sinks/base_sink.h>
#include <spdlog/spdlog.h>

namespace shoal::service {
namespace {

// What ConfigureLogging set; read by each new logger. Written only while no
// other thread logs (see REQUIRES), and copied into each child by fork.
LogSettings settings;

// Writes each line of a record to fd 2 in a single write(2), after the
// timestamp its settings ask for.
class LineSink final : public spdlog::sinks::base_sink<std::mutex> {
 public:
  explicit LineSink(LogTimestamps timestamps) : timestamps_(timestamps) {}

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
    if (timestamps_ != LogTimestamps::kNone) {
      timespec now{};
      clock_gettime(CLOCK_REALTIME, &now);
      char buffer[kMaxLogTimestamp];
      std::string_view stamp = FormatLogTimestamp(timestamps_, now, buffer);
      formatted.append(stamp.data(), stamp.data() + stamp.size());
    }
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

  const LogTimestamps timestamps_;
};

}  // namespace

void ConfigureLogging(const LogSettings& configured) {
  settings = configured;
  std::shared_ptr<spdlog::logger> current = spdlog::default_logger();
  InitLogging(current ? current->name() : std::string("master"));
}

void InitLogging(const std::string& role) {
  auto sink = std::make_shared<LineSink>(settings.timestamps);
  auto logger = std::make_shared<spdlog::logger>(role, std::move(sink));
  logger->set_pattern("%l [%P %n] %v");
  logger->set_level(settings.level);
  spdlog::set_default_logger(std::move(logger));
}

}  // namespace shoal::service
