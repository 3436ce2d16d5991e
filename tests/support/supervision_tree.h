// SupervisionTree: a real process supervisor (daemontools' svscan, runit's
// runsv, s6's s6-svscan) that a test runs over a temporary directory, and
// the processes it starts, all bound to end with the test.
//
// The supervisor is started through setsid(1), so it leads a process group
// of its own, which what it starts joins unless it moves itself out (s6
// gives each service and logger a session of its own). The tree's members
// are that group, every descendant of the supervisor, and every process
// once seen as either that is still alive (a worker whose master died is
// orphaned, not forgotten). The destructor sends TERM (and CONT) to every
// member, waits up to 10 s for all to end, then sends KILL and waits up to
// 5 s more: no supervisor, service or logger outlives the test, even when
// it fails. Driven from one thread.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <filesystem>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "support/child_process.h"

namespace shoal::tests {

// A process as /proc shows it.
struct ProcessInfo {
  pid_t pid = 0;
  pid_t ppid = 0;
  pid_t pgid = 0;
  std::string comm;  // the executable's name, at most 15 characters
};

// Every live (not zombie) process on the machine.
std::vector<ProcessInfo> ProcessTable();

// A program a test runs to its end (svc, sv, s6-svc...): its exit status
// (128+N for signal N; nullopt if it ran past `timeout` and was stopped)
// and its output.
struct CommandRun {
  std::optional<int> exit_code;
  std::string output;
};
CommandRun RunCommand(const std::filesystem::path& program, const std::vector<std::string>& args,
                      const std::filesystem::path& output_path,
                      std::chrono::milliseconds timeout = std::chrono::seconds(15));

class SupervisionTree {
 public:
  // Runs `program` `args` through setsid, its output in `output_path`.
  // Throws std::runtime_error if it cannot be started or does not lead its
  // own process group.
  SupervisionTree(const std::filesystem::path& program, const std::vector<std::string>& args,
                  const std::filesystem::path& output_path);
  SupervisionTree(const SupervisionTree&) = delete;
  SupervisionTree& operator=(const SupervisionTree&) = delete;
  ~SupervisionTree() { Stop(); }

  pid_t pgid() const { return pgid_; }

  // Every member alive now, the supervisor included.
  std::vector<ProcessInfo> Members();

  // The pid of the one member named `comm` whose parent is not also named
  // so (shoal's master, not its workers); nullopt if there is none.
  std::optional<pid_t> Find(const std::string& comm);

  // Ends the group as the destructor does. Returns true if nothing in it
  // is left alive.
  bool Stop();

  // The supervisor's own output.
  std::string Output() const { return child_.Output(); }

 private:
  ChildProcess child_;
  pid_t pgid_ = 0;
  std::set<pid_t> seen_;  // every member ever seen
};

}  // namespace shoal::tests
