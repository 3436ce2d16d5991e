#include "supervisor/reload_preflight.h"

#include <fcntl.h>
#include <sys/epoll.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include <gtest/gtest.h>

namespace shoal::supervisor {
namespace {

using namespace std::chrono_literals;

// The master's part, as its loop plays it: the report pipe through epoll,
// the exit through waitpid, the deadline; for at most 10 s.
class CheckRun {
 public:
  // `script` run by /bin/sh.
  explicit CheckRun(const std::string& script, std::chrono::milliseconds limit = 10s,
                    const std::string& start_dir = "")
      : CheckRun("/bin/sh", {"sh", "-c", script}, limit, start_dir) {}
  CheckRun(const std::string& program, const std::vector<std::string>& argv,
           std::chrono::milliseconds limit, const std::string& start_dir) {
    epoll_.Reset(epoll_create1(EPOLL_CLOEXEC));
    Result<std::unique_ptr<ReloadPreflight>> started =
        ReloadPreflight::Start(program, argv, start_dir, epoll_.get(), limit);
    if (started.ok()) check_ = std::move(started).value();
    error_ = started.ok() ? "" : started.status().message();
  }

  std::unique_ptr<ReloadPreflight>& check() { return check_; }
  const std::string& error() const { return error_; }

  // Runs until there is a verdict (then the check is destroyed: killed if
  // need be, and reaped). nullopt after 10 s.
  std::optional<PreflightVerdict> Await() {
    const auto give_up = std::chrono::steady_clock::now() + 10s;
    std::optional<PreflightVerdict> verdict;
    while (!verdict && std::chrono::steady_clock::now() < give_up) {
      epoll_event event{};
      if (epoll_wait(epoll_.get(), &event, 1, 50) == 1) {
        EXPECT_TRUE(check_->Owns(event.data.fd));
        verdict = check_->OnReadable();
      }
      int status = 0;
      if (!verdict && waitpid(check_->pid(), &status, WNOHANG) == check_->pid()) {
        verdict = check_->Exited(status);
      }
      if (!verdict) verdict = check_->Expire(std::chrono::steady_clock::now());
    }
    check_.reset();
    return verdict;
  }

 private:
  UniqueFd epoll_;
  std::unique_ptr<ReloadPreflight> check_;
  std::string error_;
};

TEST(ReloadPreflightTest, AnOkLineIsAGoAhead) {
  CheckRun run("echo ok >&3");
  ASSERT_TRUE(run.check()) << run.error();
  std::optional<PreflightVerdict> verdict = run.Await();
  ASSERT_TRUE(verdict);
  EXPECT_TRUE(verdict->ok) << verdict->reason;
}

TEST(ReloadPreflightTest, AnErrorLineIsTheReason) {
  CheckRun run("echo \"cannot import app 'x:app': RuntimeError: no\" >&3; exit 1");
  ASSERT_TRUE(run.check()) << run.error();
  std::optional<PreflightVerdict> verdict = run.Await();
  ASSERT_TRUE(verdict);
  EXPECT_FALSE(verdict->ok);
  EXPECT_EQ(verdict->reason, "cannot import app 'x:app': RuntimeError: no");
}

TEST(ReloadPreflightTest, ACrashWithoutAReportIsNamedBySignal) {
  CheckRun run("printf 'half a li' >&3; kill -SEGV $$");
  ASSERT_TRUE(run.check()) << run.error();
  const pid_t pid = run.check()->pid();
  std::optional<PreflightVerdict> verdict = run.Await();
  ASSERT_TRUE(verdict);
  EXPECT_FALSE(verdict->ok);
  EXPECT_EQ(verdict->reason, "the check (pid " + std::to_string(pid) +
                                 ") was killed by signal 11 (Segmentation fault): half a li");
}

TEST(ReloadPreflightTest, AnExitWithoutAReportIsNamedByStatus) {
  CheckRun run("exit 2");
  ASSERT_TRUE(run.check()) << run.error();
  const pid_t pid = run.check()->pid();
  std::optional<PreflightVerdict> verdict = run.Await();
  ASSERT_TRUE(verdict);
  EXPECT_FALSE(verdict->ok);
  EXPECT_EQ(verdict->reason,
            "the check (pid " + std::to_string(pid) + ") exited with status 2 and no report");
}

TEST(ReloadPreflightTest, PastTheDeadlineTheCheckIsKilledAndReaped) {
  const auto started = std::chrono::steady_clock::now();
  CheckRun run("sleep 30", 300ms);
  ASSERT_TRUE(run.check()) << run.error();
  const pid_t pid = run.check()->pid();
  EXPECT_GE(run.check()->deadline(), started + 300ms);
  std::optional<PreflightVerdict> verdict = run.Await();
  EXPECT_LT(std::chrono::steady_clock::now() - started, 5s);
  ASSERT_TRUE(verdict);
  EXPECT_FALSE(verdict->ok);
  EXPECT_EQ(verdict->reason, "the new image did not load the app within 0.3 s (the check, pid " +
                                 std::to_string(pid) + ", was killed)");
  // Reaped by the check's end: no zombie left, and the pid is not ours.
  errno = 0;
  EXPECT_EQ(waitpid(pid, nullptr, WNOHANG), -1);
  EXPECT_EQ(errno, ECHILD);
}

TEST(ReloadPreflightTest, TheChildHasStdinFromDevNullTheReportOnFd3AndNoOtherFd) {
  // An fd the master holds without close-on-exec must not reach the check.
  int ends[2];
  ASSERT_EQ(pipe(ends), 0);
  UniqueFd kept_read(ends[0]);
  UniqueFd kept_write(ends[1]);
  // (Python's fstat on each fd: listing /proc/self/fd would open one.)
  CheckRun run("/usr/bin/python3",
               {"python3", "-I", "-S", "-c",
                "import os\n"
                "fds = []\n"
                "for fd in range(1024):\n"
                "    try:\n"
                "        os.fstat(fd)\n"
                "        fds.append(str(fd))\n"
                "    except OSError:\n"
                "        pass\n"
                "os.write(3, ('%s %s %s\\n' % (' '.join(fds), os.readlink('/proc/self/fd/0'),\n"
                "             os.environ['SHOAL_RELOAD_CHECK'])).encode())\n"},
               10s, "");
  ASSERT_TRUE(run.check()) << run.error();
  std::optional<PreflightVerdict> verdict = run.Await();
  ASSERT_TRUE(verdict);
  EXPECT_EQ(verdict->reason, "0 1 2 3 /dev/null 3");
}

TEST(ReloadPreflightTest, TheChildStartsInTheStartDirectory) {
  char here[4096];
  ASSERT_NE(getcwd(here, sizeof(here)), nullptr);
  CheckRun run("echo \"$(pwd)\" >&3", 10s, "/tmp");
  ASSERT_TRUE(run.check()) << run.error();
  std::optional<PreflightVerdict> verdict = run.Await();
  ASSERT_TRUE(verdict);
  EXPECT_EQ(verdict->reason, "/tmp");
  char after[4096];
  ASSERT_NE(getcwd(after, sizeof(after)), nullptr);
  EXPECT_EQ(std::string(after), std::string(here)) << "the caller's directory is kept";
}

TEST(ReloadPreflightTest, AProgramThatCannotStartIsAnError) {
  UniqueFd epoll(epoll_create1(EPOLL_CLOEXEC));
  Result<std::unique_ptr<ReloadPreflight>> started =
      ReloadPreflight::Start("/nonexistent/shoal", {"shoal"}, "", epoll.get(), 10s);
  ASSERT_FALSE(started.ok());
  EXPECT_EQ(started.status().message(),
            "posix_spawn(/nonexistent/shoal) failed: No such file or directory");
}

}  // namespace
}  // namespace shoal::supervisor
