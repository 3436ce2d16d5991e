// Readiness seen from outside: systemd's notify protocol over
// NOTIFY_SOCKET, and --ready-fd (s6's notification fd) on a pipe the test
// holds. (s6 itself: service_test.cc.)
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <filesystem>
#include <string>
#include <vector>

#include "support/fd.h"
#include "support/paths.h"
#include "support/shoal_process.h"
#include "support/temp_dir.h"
#include "support/text.h"

namespace shoal::tests {
namespace {
namespace fs = std::filesystem;
using namespace std::chrono_literals;

// systemd's notify protocol, as Type=notify hears it: READY=1 once workers
// serve, RELOADING=1 then READY=1 around HUP, STOPPING=1 on TERM.
TEST(NotifySocketTest, ReadyReloadingReadyStopping) {
  TempDir temp("shoal-notify");
  const fs::path notify_path = temp / "notify.sock";
  Fd notify(socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0));
  sockaddr_un address{};
  address.sun_family = AF_UNIX;
  notify_path.string().copy(address.sun_path, sizeof(address.sun_path) - 1);
  ASSERT_EQ(bind(notify.get(), reinterpret_cast<sockaddr*>(&address), sizeof(address)), 0);
  timeval timeout{20, 0};
  setsockopt(notify.get(), SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof(timeout));
  auto receive = [&] {
    char buffer[512];
    ssize_t n = recv(notify.get(), buffer, sizeof(buffer), 0);
    return n > 0 ? std::string(buffer, static_cast<size_t>(n)) : std::string("(nothing)");
  };

  // Workers that take a second to import (--lazy-apps: the master imports
  // nothing), so READY=1 sent at fork instead of at the first worker's
  // readiness would be seen: the stats would show no worker idle.
  const fs::path socket = temp / "app.sock";
  const fs::path stats = temp / "stats.sock";
  ShoalProcess shoal({"--app", "slow_import:app", "--chdir", AppsDir().string(), "--bind",
                      "unix:" + socket.string(), "--workers", "2", "--lazy-apps", "--stats",
                      "unix:" + stats.string()},
                     temp / "shoal.log",
                     {{"NOTIFY_SOCKET", notify_path.string()}, {"TEST_IMPORT_SECONDS", "1"}});
  auto idle_workers = [&] {
    ShoalRun status = RunShoalToExit({"status", "--stats", "unix:" + stats.string(), "--metrics"},
                                     temp / "status.out", 10s);
    return status.output;
  };
  std::string ready = receive();
  EXPECT_TRUE(ready.starts_with("READY=1\nSTATUS=")) << ready << shoal.Log();
  std::string metrics = idle_workers();
  EXPECT_TRUE(Has(metrics, "shoal_workers{status=\"idle\"}")) << metrics;
  EXPECT_FALSE(Has(metrics, "shoal_workers{status=\"idle\"} 0")) << metrics;
  shoal.Signal(SIGHUP);
  std::string reloading = receive();
  EXPECT_TRUE(reloading.starts_with("RELOADING=1\nMONOTONIC_USEC=")) << reloading;
  std::string ready_again = receive();
  EXPECT_TRUE(ready_again.starts_with("READY=1\n")) << ready_again << shoal.Log();
  EXPECT_TRUE(Has(shoal.Log(), "re-executed; the previous workers")) << shoal.Log();
  metrics = idle_workers();
  EXPECT_FALSE(Has(metrics, "shoal_workers{status=\"idle\"} 0")) << metrics;
  shoal.Signal(SIGTERM);
  EXPECT_EQ(receive(), "STOPPING=1");
  EXPECT_EQ(shoal.WaitForExit(30s), std::optional<int>(0));
}

// --ready-fd without s6: the newline comes on the fd, once, after a worker
// serves; a fd that is not open is one line and exit 1.
TEST(ReadyFdTest, NewlineOnTheFdOnceServingAndAClosedFdRefused) {
  TempDir temp("shoal-readyfd");
  int fds[2];
  ASSERT_EQ(pipe(fds), 0);
  Fd read_end(fds[0]);
  fcntl(fds[0], F_SETFD, FD_CLOEXEC);
  const int write_fd = fcntl(fds[1], F_DUPFD, 50);  // not close-on-exec: shoal inherits it
  close(fds[1]);
  const fs::path socket = temp / "app.sock";
  std::optional<ShoalProcess> shoal;
  shoal.emplace(std::vector<std::string>{"--app", "probe:app", "--chdir", AppsDir().string(),
                                         "--bind", "unix:" + socket.string(), "--ready-fd",
                                         std::to_string(write_fd)},
                temp / "shoal.log");
  close(write_fd);
  // Everything on the pipe until EOF (every copy of the write end closed),
  // each wait bounded.
  std::string got;
  for (;;) {
    pollfd wait{read_end.get(), POLLIN, 0};
    if (poll(&wait, 1, 20'000) != 1) break;
    char buffer[16];
    ssize_t n = read(read_end.get(), buffer, sizeof(buffer));
    if (n <= 0) {
      got += n == 0 ? "<EOF>" : "<error>";
      break;
    }
    got.append(buffer, static_cast<size_t>(n));
  }
  EXPECT_EQ(got, "\n<EOF>") << shoal->Log();  // the master's copy closed, and no worker kept one
  EXPECT_EQ(shoal->WorkerPids().size(), 2u);
  shoal->Signal(SIGTERM);
  EXPECT_EQ(shoal->WaitForExit(30s), std::optional<int>(0));

  ShoalRun closed = RunShoalToExit({"--app", "probe:app", "--chdir", AppsDir().string(), "--bind",
                                    "unix:" + (temp / "b.sock").string(), "--ready-fd", "77"},
                                   temp / "closed.log", 20s);
  EXPECT_EQ(closed.exit_code, std::optional<int>(1)) << closed.output;
  EXPECT_TRUE(Has(closed.output, "--ready-fd 77: fd 77 is not open")) << closed.output;
}

}  // namespace
}  // namespace shoal::tests
