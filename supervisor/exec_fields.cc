#include "supervisor/exec_fields.h"

#include <fcntl.h>

#include <cstdlib>
#include <sstream>

namespace shoal::supervisor {
namespace {

// An fd's name on the wire ends in this, so the receiver knows to own it.
constexpr const char* kFdSuffix = "_fd";

void SetCloseOnExec(int fd, bool on) {
  if (fd >= 0) fcntl(fd, F_SETFD, on ? FD_CLOEXEC : 0);
}

bool IsFdName(const std::string& name) {
  return name.size() > 3 && name.compare(name.size() - 3, 3, kFdSuffix) == 0;
}

}  // namespace

void ExecFields::AddFd(const std::string& name, int fd) {
  if (fd < 0) return;
  numbers_[name + kFdSuffix] = fd;
  fds_.push_back(fd);
}

std::string ExecFields::Encode() const {
  std::string encoded;
  for (const auto& [name, value] : numbers_) {
    if (!encoded.empty()) encoded += ',';
    encoded += name + "=" + std::to_string(value);
  }
  return encoded;
}

ExecFields::Opened::Opened(const ExecFields& fields, const char* variable)
    : fields_(fields), variable_(variable) {
  for (int fd : fields_.fds_) SetCloseOnExec(fd, false);
  setenv(variable_, fields_.Encode().c_str(), 1);
}

ExecFields::Opened::~Opened() {
  for (int fd : fields_.fds_) SetCloseOnExec(fd, true);
  unsetenv(variable_);
}

std::optional<InheritedFields> InheritedFields::Take(const char* variable) {
  const char* value = std::getenv(variable);
  if (value == nullptr) return std::nullopt;
  InheritedFields fields;
  std::istringstream in{std::string(value)};
  unsetenv(variable);
  for (std::string item; std::getline(in, item, ',');) {
    size_t equals = item.find('=');
    if (equals == std::string::npos) continue;
    std::string name = item.substr(0, equals);
    long number = std::atol(item.c_str() + equals + 1);
    if (IsFdName(name)) {
      SetCloseOnExec(static_cast<int>(number), true);  // not into the next exec of anything
      fields.fds_[name.substr(0, name.size() - 3)] = UniqueFd(static_cast<int>(number));
    } else {
      fields.numbers_[name] = number;
    }
  }
  return fields;
}

long InheritedFields::Number(const std::string& name, long fallback) const {
  auto found = numbers_.find(name);
  return found == numbers_.end() ? fallback : found->second;
}

UniqueFd InheritedFields::TakeFd(const std::string& name) {
  auto found = fds_.find(name);
  if (found == fds_.end()) return UniqueFd();
  UniqueFd fd = std::move(found->second);
  fds_.erase(found);
  return fd;
}

std::vector<std::string> InheritedFields::FdNames(const std::string& prefix) const {
  std::vector<std::string> names;
  for (const auto& [name, fd] : fds_) {
    if (name.starts_with(prefix)) names.push_back(name);
  }
  return names;
}

}  // namespace shoal::supervisor
