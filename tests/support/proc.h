// Process table queries through /proc, for finding shoal's workers.
//
// shoal's contract: the master's children are exactly its workers (and,
// while a HUP's reload check runs, that one check process). These
// read /proc/PID/stat and so see every process on the machine the test may
// see; they never fail, a process that vanishes mid-scan is just skipped.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <optional>
#include <vector>

namespace shoal::tests {

// Returns the pids whose parent is `parent`, sorted. Zombies (exited but not
// yet reaped by `parent`) are left out unless `include_zombies`.
std::vector<pid_t> ChildrenOf(pid_t parent, bool include_zombies = false);

// True if `pid` exists and has not exited (a zombie counts as exited).
bool IsAlive(pid_t pid);

// The CPU time `pid` has used so far, user and system (utime + stime from
// /proc/PID/stat, in clock ticks of 10 ms); nullopt if it cannot be read.
std::optional<std::chrono::milliseconds> CpuTime(pid_t pid);

// True if `pid` is blocked in epoll_wait/epoll_pwait (its /proc/PID/wchan
// is do_epoll_wait; readable by root): for a shoal worker, in its wait for
// work, with its heartbeat written just before.
bool WaitingInEpoll(pid_t pid);

}  // namespace shoal::tests
