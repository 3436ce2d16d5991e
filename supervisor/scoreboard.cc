#include "supervisor/scoreboard.h"

#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <memory>
#include <utility>

namespace shoal::supervisor {

Result<Scoreboard> Scoreboard::Create(size_t slots) {
  UniqueFd fd(memfd_create("shoal-scoreboard", MFD_CLOEXEC));
  if (!fd.valid()) return PosixError("memfd_create(scoreboard)", errno);
  if (ftruncate(fd.get(), static_cast<off_t>(slots * sizeof(ScoreboardSlot))) != 0) {
    return PosixError("ftruncate(scoreboard)", errno);
  }
  Result<Scoreboard> board = Attach(fd.Release(), slots);
  if (board.ok()) {
    for (size_t i = 0; i < slots; ++i) std::construct_at(&board.value().slots_[i]);
  }
  return board;
}

Result<Scoreboard> Scoreboard::Attach(int fd, size_t slots) {
  UniqueFd owned(fd);
  void* memory = mmap(nullptr, slots * sizeof(ScoreboardSlot), PROT_READ | PROT_WRITE, MAP_SHARED,
                      owned.get(), 0);
  if (memory == MAP_FAILED) return PosixError("mmap(scoreboard)", errno);
  return Scoreboard(std::move(owned), static_cast<ScoreboardSlot*>(memory), slots);
}

Scoreboard::Scoreboard(Scoreboard&& other) noexcept
    : fd_(std::move(other.fd_)),
      slots_(std::exchange(other.slots_, nullptr)),
      size_(std::exchange(other.size_, 0)) {}

Scoreboard::~Scoreboard() {
  if (slots_ != nullptr) munmap(slots_, size_ * sizeof(ScoreboardSlot));
}

int64_t Scoreboard::NowMs() {
  timespec now{};
  clock_gettime(CLOCK_MONOTONIC, &now);
  return static_cast<int64_t>(now.tv_sec) * 1000 + now.tv_nsec / 1'000'000;
}

void Scoreboard::BeginRequest(size_t index, std::string_view request_line) {
  ScoreboardSlot& s = slots_[index];
  size_t n = std::min(request_line.size(), sizeof(s.request_line) - 1);
  std::copy_n(request_line.data(), n, s.request_line);
  s.request_line[n] = '\0';
  s.request_started_ms.store(NowMs());
  s.state.store(WorkerState::kBusy);
}

void Scoreboard::EndRequest(size_t index, bool app_failed) {
  ScoreboardSlot& s = slots_[index];
  int64_t started = s.request_started_ms.exchange(0);
  if (started > 0) s.busy_ms.fetch_add(static_cast<uint64_t>(NowMs() - started));
  if (app_failed) s.exceptions.fetch_add(1);
  s.requests.fetch_add(1);
  s.state.store(WorkerState::kIdle);
}

}  // namespace shoal::supervisor
