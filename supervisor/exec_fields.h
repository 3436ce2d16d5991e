// ExecFields and InheritedFields: what a process hands a program it
// executes, and what that program finds.
//
// Two execs carry state: the master re-executing itself on HUP or USR2
// (reexec.h: the sockets, the old lifeline, the parked connections) and the
// master starting a --lazy-apps worker (lazy_worker.h: its channels and the
// scoreboard). Both pass it the same way: named numbers and named open file
// descriptors in one environment variable, "name=value,name=value", the
// fds left open across the exec and nothing else. The receiving side takes
// each fd into a UniqueFd, close-on-exec again, so nothing leaks into the
// next exec. Master or a starting worker; not thread-safe (the environment).
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "base/unique_fd.h"

namespace shoal::supervisor {

class ExecFields {
 public:
  // Adds a number, or an fd (which stays the caller's) under `name`.
  // REQUIRES: `name` has no ',' or '='.
  void Add(const std::string& name, long value) { numbers_[name] = value; }
  void AddFd(const std::string& name, int fd);

  // "name=value,..." (fds are numbers on the wire).
  std::string Encode() const;

  // While this lives, the fds are open across an exec (close-on-exec
  // cleared) and `variable` holds Encode(); the destructor puts both back
  // (for an exec that failed, or a spawn that is done).
  class Opened {
   public:
    Opened(const ExecFields& fields, const char* variable);
    ~Opened();
    Opened(const Opened&) = delete;
    Opened& operator=(const Opened&) = delete;

   private:
    const ExecFields& fields_;
    const char* variable_;
  };

 private:
  std::map<std::string, long> numbers_;
  std::vector<int> fds_;
};

class InheritedFields {
 public:
  // Reads and unsets `variable`. nullopt if it is not set (a first start).
  // Every fd it names is owned from here, close-on-exec again.
  static std::optional<InheritedFields> Take(const char* variable);

  // The number under `name`, or `fallback`.
  long Number(const std::string& name, long fallback = -1) const;
  // The fd under `name`, given up to the caller; invalid if none.
  UniqueFd TakeFd(const std::string& name);
  // The names of the fds still held whose name starts with `prefix`.
  std::vector<std::string> FdNames(const std::string& prefix) const;

 private:
  std::map<std::string, long> numbers_;
  std::map<std::string, UniqueFd> fds_;
};

}  // namespace shoal::supervisor
