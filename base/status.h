// Status and Result<T>: how expected failures travel in shoal.
//
// A Status is OK or carries one message ready for a log line
// ("bind(127.0.0.1:8000) failed: Address already in use"). Result<T> holds a
// T or a failed Status. Both are cheap to return and are the only error
// channel below the process boundaries (main, the worker loop, the Python
// call); exceptions are for bugs and start-up only. Under C++23 this becomes
// std::expected.
#pragma once

#include <string>
#include <utility>
#include <variant>

namespace shoal {

class [[nodiscard]] Status {
 public:
  Status() = default;  // OK
  static Status Ok() { return Status(); }
  static Status Error(std::string message) { return Status(std::move(message), true); }
  // A failure because a deadline passed (a client too slow for one of the
  // --*-timeout options): a caller may log these more sparingly.
  static Status TimedOut(std::string message) {
    Status status(std::move(message), true);
    status.timed_out_ = true;
    return status;
  }

  bool ok() const { return !failed_; }
  bool timed_out() const { return timed_out_; }
  const std::string& message() const { return message_; }

 private:
  Status(std::string message, bool failed) : message_(std::move(message)), failed_(failed) {}
  std::string message_;
  bool failed_ = false;
  bool timed_out_ = false;
};

// "<context> failed: <strerror(err)>", the one shape of every syscall error.
Status PosixError(const std::string& context, int err);


template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : value_(std::move(value)) {}  // NOLINT: implicit by design
  Result(Status error) : value_(std::move(error)) {}  // NOLINT: REQUIRES: !error.ok()

  bool ok() const { return std::holds_alternative<T>(value_); }
  // REQUIRES: ok()
  T& value() & { return std::get<T>(value_); }
  T&& value() && { return std::get<T>(std::move(value_)); }
  const T& value() const& { return std::get<T>(value_); }
  // REQUIRES: !ok()
  const Status& status() const { return std::get<Status>(value_); }

 private:
  std::variant<T, Status> value_;
};

}  // namespace shoal
