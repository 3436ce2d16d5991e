#include "support/proc.h"

#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <optional>
#include <sstream>
#include <string>

namespace shoal::tests {
namespace {

struct StatLine {
  char state = '?';
  pid_t ppid = 0;
};

// Reads "PID (COMM) STATE PPID ..." from /proc/PID/stat. COMM may hold spaces
// and parentheses, so the fields after it are found from the last ')'.
std::optional<StatLine> ReadStat(const std::filesystem::path& stat_path) {
  std::ifstream in(stat_path);
  std::string line;
  if (!std::getline(in, line)) return std::nullopt;
  size_t close = line.rfind(')');
  if (close == std::string::npos) return std::nullopt;
  std::istringstream rest(line.substr(close + 1));
  StatLine stat;
  if (!(rest >> stat.state >> stat.ppid)) return std::nullopt;
  return stat;
}

bool IsPidName(const std::string& name) {
  return !name.empty() && std::all_of(name.begin(), name.end(), [](char c) {
    return c >= '0' && c <= '9';
  });
}

}  // namespace

std::vector<pid_t> ChildrenOf(pid_t parent, bool include_zombies) {
  std::vector<pid_t> children;
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator("/proc", ec)) {
    std::string name = entry.path().filename().string();
    if (!IsPidName(name)) continue;
    auto stat = ReadStat(entry.path() / "stat");
    if (!stat || stat->ppid != parent) continue;
    if (stat->state == 'Z' && !include_zombies) continue;
    children.push_back(static_cast<pid_t>(std::stol(name)));
  }
  std::sort(children.begin(), children.end());
  return children;
}

std::optional<std::chrono::milliseconds> CpuTime(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string line;
  if (!std::getline(in, line)) return std::nullopt;
  size_t close = line.rfind(')');
  if (close == std::string::npos) return std::nullopt;
  // After COMM: state(3) ppid pgrp session tty_nr tpgid flags minflt cminflt
  // majflt cmajflt utime(14) stime(15).
  std::istringstream rest(line.substr(close + 1));
  std::string skipped;
  for (int field = 3; field <= 13; ++field) rest >> skipped;
  long long utime = 0, stime = 0;
  if (!(rest >> utime >> stime)) return std::nullopt;
  const long ticks = sysconf(_SC_CLK_TCK);
  return std::chrono::milliseconds((utime + stime) * 1000 / (ticks > 0 ? ticks : 100));
}

bool WaitingInEpoll(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/wchan");
  std::string wchan;
  return std::getline(in, wchan) && wchan == "do_epoll_wait";
}

bool IsAlive(pid_t pid) {
  auto stat = ReadStat("/proc/" + std::to_string(pid) + "/stat");
  return stat && stat->state != 'Z' && stat->state != 'X';
}

}  // namespace shoal::tests
