#include "support/supervision_tree.h"

#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <fstream>
#include <sstream>
#include <stdexcept>

#include "support/wait.h"

namespace shoal::tests {
namespace {

bool IsPidName(const std::string& name) {
  return !name.empty() && std::all_of(name.begin(), name.end(), [](char c) {
    return c >= '0' && c <= '9';
  });
}

}  // namespace

std::vector<ProcessInfo> ProcessTable() {
  std::vector<ProcessInfo> found;
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator("/proc", ec)) {
    const std::string name = entry.path().filename().string();
    if (!IsPidName(name)) continue;
    std::ifstream in(entry.path() / "stat");
    std::string line;
    if (!std::getline(in, line)) continue;
    // "PID (COMM) STATE PPID PGRP ...": COMM may hold spaces and ')'.
    const size_t open = line.find('(');
    const size_t close = line.rfind(')');
    if (open == std::string::npos || close == std::string::npos) continue;
    std::istringstream rest(line.substr(close + 1));
    char state = '?';
    ProcessInfo info;
    if (!(rest >> state >> info.ppid >> info.pgid)) continue;
    if (state == 'Z') continue;
    info.pid = static_cast<pid_t>(std::stol(name));
    info.comm = line.substr(open + 1, close - open - 1);
    found.push_back(info);
  }
  return found;
}

CommandRun RunCommand(const std::filesystem::path& program, const std::vector<std::string>& args,
                      const std::filesystem::path& output_path, std::chrono::milliseconds timeout) {
  ChildProcess child(program, args, output_path);
  std::optional<int> code = child.WaitForExit(timeout);
  if (!code) child.Stop(std::chrono::seconds(1));
  return {code, child.Output()};
}

SupervisionTree::SupervisionTree(const std::filesystem::path& program,
                                 const std::vector<std::string>& args,
                                 const std::filesystem::path& output_path)
    : child_("/usr/bin/setsid", [&] {
        std::vector<std::string> all = {program.string()};
        all.insert(all.end(), args.begin(), args.end());
        return all;
      }(), output_path, SIGTERM) {
  // setsid(1) execs the program in place (it is not a group leader here).
  const bool leads = WaitUntil(std::chrono::seconds(5), [&] { return getpgid(child_.pid()) == child_.pid(); });
  if (!leads) {
    child_.Stop(std::chrono::seconds(2));
    throw std::runtime_error(program.string() + " did not lead its own process group");
  }
  pgid_ = child_.pid();
}

std::vector<ProcessInfo> SupervisionTree::Members() {
  std::vector<ProcessInfo> table = ProcessTable();
  std::set<pid_t> members;
  if (pgid_ != 0) members.insert(pgid_);
  // Grows to a fixed point: the group, the supervisor's descendants, and
  // whatever was seen before.
  for (bool grew = true; grew;) {
    grew = false;
    for (const ProcessInfo& process : table) {
      if (members.count(process.pid)) continue;
      if (process.pgid == pgid_ || members.count(process.ppid) || seen_.count(process.pid)) {
        members.insert(process.pid);
        grew = true;
      }
    }
  }
  std::vector<ProcessInfo> alive;
  for (const ProcessInfo& process : table) {
    if (members.count(process.pid)) alive.push_back(process);
  }
  for (const ProcessInfo& process : alive) seen_.insert(process.pid);
  return alive;
}

std::optional<pid_t> SupervisionTree::Find(const std::string& comm) {
  std::vector<ProcessInfo> members = Members();
  for (const ProcessInfo& member : members) {
    if (member.comm != comm) continue;
    const bool parent_same = std::any_of(members.begin(), members.end(), [&](const ProcessInfo& p) {
      return p.pid == member.ppid && p.comm == comm;
    });
    if (!parent_same) return member.pid;
  }
  return std::nullopt;
}

bool SupervisionTree::Stop() {
  if (pgid_ == 0) return true;
  auto signal_all = [&](int signo) {
    for (const ProcessInfo& member : Members()) ::kill(member.pid, signo);
  };
  auto ended = [&] {
    child_.running();  // reaps the supervisor once it exits
    return Members().empty();
  };
  if (!Members().empty()) {
    signal_all(SIGTERM);
    signal_all(SIGCONT);
    if (!WaitUntil(std::chrono::seconds(10), ended)) {
      signal_all(SIGKILL);
      WaitUntil(std::chrono::seconds(5), ended);
    }
  }
  child_.Stop(std::chrono::seconds(1));  // reaps the supervisor
  return Members().empty();
}

}  // namespace shoal::tests
