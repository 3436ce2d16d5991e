#include "supervisor/worker.h"

#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <chrono>
#include <csignal>
#include <algorithm>
#include <memory>
#include <span>
#include <string>

#include <spdlog/spdlog.h>

#include "base/epoll_watch.h"
#include "base/unique_fd.h"
#include "protocols/connection.h"
#include "service/access_log.h"
#include "service/exit_codes.h"
#include "service/log_rate_limit.h"
#include "supervisor/handoff.h"

namespace shoal::supervisor {
namespace {

volatile std::sig_atomic_t stop_requested = 0;
volatile std::sig_atomic_t reopen_requested = 0;

void HandleTerm(int) { stop_requested = 1; }

// USR1: reopen the access log, at the next safe point (ReopenLogsIfAsked).
void HandleUsr1(int) { reopen_requested = 1; }

class Worker {
 public:
  Worker(const WorkerConfig& config, protocols::RequestHandler& handler)
      : config_(config), handler_(handler), app_generation_(config.app_generation) {}

  int Run();

 private:
  Status SetUp();
  Status Watch(int fd, uint32_t events);
  // Accepts one connection if one is queued. Returns false when none was.
  bool AcceptAndServe();
  // Takes one connection from the ready channel if one is there. Returns
  // false when none was.
  bool TakeReadyAndServe();
  // Serves what has arrived on `connection`, then holds it or drops it.
  void Serve(std::unique_ptr<protocols::Connection> connection);
  // Reads and serves one request, or answers control traffic. Returns
  // false when the connection ended (closed, or bad input logged).
  bool ServeOne(protocols::Connection& connection);
  void ServeHeld();
  // Keeps `connection` in this worker's epoll while the worker is idle.
  void Hold(std::unique_ptr<protocols::Connection> connection);
  // Parks the held connection with the master, before taking other work.
  void ParkHeld();

  size_t ScoreboardIndex() const { return static_cast<size_t>(config_.index); }
  // Counts the request, notes memory, and decides whether to leave.
  void AfterRequest();
  // The one line for a connection ended by bad input or a deadline; lines
  // for deadlines, which a client can cause at will, are rate-limited.
  void LogDropped(const Status& why, const char* suffix);
  // Reopens the access log if USR1 came since the last time.
  void ReopenLogsIfAsked();
  // Writes the request's line to the access log (--access-log).
  void LogAccess(std::span<const protocols::Param> params, time_t received,
                 const protocols::Handled& handled);

  const WorkerConfig& config_;
  protocols::RequestHandler& handler_;
  UniqueFd epoll_;
  UniqueFd spare_fd_;  // given up on EMFILE so a connection can be taken and shed
  sigset_t wait_mask_{};
  bool tcp_ = false;
  std::unique_ptr<protocols::Connection> held_;
  std::chrono::steady_clock::time_point held_since_;
  uint64_t served_ = 0;
  bool ready_open_ = true;  // the ready channel still has a master behind it
  bool recycle_ = false;  // leave after the request in hand
  uint64_t app_generation_;  // of the handler's app (WorkerConfig::app_generation)
  std::chrono::steady_clock::time_point next_rss_check_;
  service::LogRateLimit deadline_lines_;
  service::LogRateLimit access_log_errors_;  // a full disk must not flood the log
  service::LogRateLimit refused_lines_;  // peers not in FCGI_WEB_SERVER_ADDRS
};

Status Worker::Watch(int fd, uint32_t events) { return WatchFd(epoll_.get(), fd, events); }

Status Worker::SetUp() {
  // SIGTERM is caught only inside epoll_pwait, so it never interrupts a
  // request; SA_RESTART for safety anyway.
  struct sigaction action {};
  action.sa_handler = HandleTerm;
  action.sa_flags = SA_RESTART;
  sigemptyset(&action.sa_mask);
  sigaction(SIGTERM, &action, nullptr);
  // USR1 only sets a flag, so it may come at any time; it stayed blocked
  // (and pending) from fork until this handler was in place.
  action.sa_handler = HandleUsr1;
  sigaction(SIGUSR1, &action, nullptr);
  sigset_t usr1;
  sigemptyset(&usr1);
  sigaddset(&usr1, SIGUSR1);
  sigprocmask(SIG_UNBLOCK, &usr1, nullptr);

  std::signal(SIGINT, SIG_IGN);  // a terminal's Ctrl-C is the master's to handle
  std::signal(SIGHUP, SIG_IGN);
  sigset_t term;
  sigemptyset(&term);
  sigaddset(&term, SIGTERM);
  sigprocmask(SIG_BLOCK, &term, &wait_mask_);
  sigdelset(&wait_mask_, SIGTERM);  // delivered only inside the wait for work

  epoll_.Reset(epoll_create1(EPOLL_CLOEXEC));
  if (!epoll_.valid()) return PosixError("epoll_create1", errno);
  for (Status watched : {Watch(config_.listen_fd, EPOLLIN | EPOLLEXCLUSIVE),
                         Watch(config_.ready_fd, EPOLLIN | EPOLLEXCLUSIVE),
                         Watch(config_.lifeline_fd, EPOLLIN)}) {
    if (!watched.ok()) return watched;
  }
  sockaddr_storage address{};
  socklen_t length = sizeof(address);
  if (getsockname(config_.listen_fd, reinterpret_cast<sockaddr*>(&address), &length) == 0) {
    tcp_ = address.ss_family == AF_INET || address.ss_family == AF_INET6;
  }
  spare_fd_.Reset(open("/dev/null", O_RDONLY | O_CLOEXEC));
  return Status::Ok();
}

int Worker::Run() {
  Status ready = SetUp();
  if (!ready.ok()) {
    spdlog::error("worker set-up failed: {}", ready.message());
    return service::kExitWorkerBootError;
  }
  constexpr int kMaxEvents = 8;
  epoll_event events[kMaxEvents];
  bool master_gone = false;
  if (config_.scoreboard) config_.scoreboard->slot(ScoreboardIndex()).state.store(WorkerState::kIdle);
  while (!stop_requested && !master_gone && !recycle_) {
    // Wakes at least every beat interval to show the master it is alive
    // (--heartbeat-timeout), and when the held connection's idle time is up.
    auto left = std::chrono::ceil<std::chrono::milliseconds>(
        held_ ? std::min<std::chrono::steady_clock::duration>(
                    held_since_ + config_.idle_timeout - std::chrono::steady_clock::now(),
                    Scoreboard::kBeatInterval)
              : Scoreboard::kBeatInterval);
    int timeout_ms = static_cast<int>(std::max<int64_t>(0, left.count()));
    if (config_.scoreboard) config_.scoreboard->Beat(ScoreboardIndex());
    handler_.BeginIdle();
    int count = epoll_pwait(epoll_.get(), events, kMaxEvents, timeout_ms, &wait_mask_);
    int saved_errno = errno;
    handler_.EndIdle();
    ReopenLogsIfAsked();
    if (count < 0) {
      if (saved_errno == EINTR) continue;
      spdlog::error("{}", PosixError("epoll_pwait", saved_errno).message());
      return service::kExitFailure;
    }
    if (count == 0) {
      if (held_ && std::chrono::steady_clock::now() >= held_since_ + config_.idle_timeout) {
        // The held connection was idle for the whole idle timeout.
        epoll_ctl(epoll_.get(), EPOLL_CTL_DEL, held_->fd(), nullptr);
        held_.reset();
      }
      continue;
    }
    // Out of the wait: reading and serving are under their own deadlines.
    if (config_.scoreboard) config_.scoreboard->PauseHeartbeat(ScoreboardIndex());
    // One piece of work per wake-up: what else was ready is still ready at
    // the next epoll_pwait, and meanwhile another idle worker may take it.
    int fd = -1;
    for (int i = 0; i < count; ++i) {
      if (events[i].data.fd == config_.lifeline_fd) master_gone = true;
      if (held_ && events[i].data.fd == held_->fd()) fd = held_->fd();
      if (fd < 0) fd = events[i].data.fd;
    }
    if (master_gone) break;
    if (held_ && fd == held_->fd()) {
      ServeHeld();
    } else if (fd == config_.ready_fd) {
      TakeReadyAndServe();
    } else if (fd == config_.listen_fd) {
      AcceptAndServe();
    }
  }
  if (master_gone) {
    // Re-executed (HUP, USR2): the park channel crossed the exec, so the
    // new image takes the connection held here rather than see it closed.
    // (If the master died, parking fails and the connection is closed.)
    ParkHeld();
    spdlog::info("the master is gone or was re-executed; worker exiting");
    return service::kExitOk;
  }
  if (!stop_requested) {
    // --max-requests or --reload-on-rss: the master serves on what this
    // worker kept, through its replacement.
    ParkHeld();
    return service::kExitWorkerRecycled;
  }
  // Graceful stop: what the listen queue and the ready channel already hold
  // was sent before the stop; serve it rather than reset it.
  held_.reset();
  while (TakeReadyAndServe() || AcceptAndServe()) held_.reset();
  return service::kExitOk;
}

bool Worker::AcceptAndServe() {
  // Non-blocking: a connection's waits are bounded by its deadlines
  // (protocols/socket_connection.h).
  sockaddr_storage peer{};
  socklen_t peer_length = sizeof(peer);
  int fd = accept4(config_.listen_fd, reinterpret_cast<sockaddr*>(&peer), &peer_length,
                   SOCK_CLOEXEC | SOCK_NONBLOCK);
  if (fd < 0) {
    if (errno == EMFILE || errno == ENFILE) {
      // Out of fds: shed this connection instead of spinning on it.
      spdlog::error("{}; dropping a connection", PosixError("accept", errno).message());
      spare_fd_.Reset();
      UniqueFd shed(accept4(config_.listen_fd, nullptr, nullptr, SOCK_CLOEXEC));
      spare_fd_.Reset(open("/dev/null", O_RDONLY | O_CLOEXEC));
      return shed.valid();
    }
    // EAGAIN: another worker took it. ECONNABORTED and the like: gone already.
    return errno != EAGAIN && errno != EWOULDBLOCK;
  }
  UniqueFd connection(fd);
  if (tcp_ && config_.web_server_addrs && !config_.web_server_addrs->Allows(peer)) {
    // The one place a connection from outside first arrives (the master
    // only ever sees connections a worker accepted), so the one check.
    service::LogRateLimit::Verdict verdict = refused_lines_.Admit(std::chrono::steady_clock::now());
    if (verdict.write) {
      spdlog::warn("connection from {} refused: not in FCGI_WEB_SERVER_ADDRS{}",
                   service::WebServerAddrs::PeerName(peer),
                   service::LogRateLimit::Suffix(verdict.held_back));
    }
    return true;
  }
  ParkHeld();
  if (tcp_) {
    int on = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof(on));
  }
  if (config_.protocol) {
    Serve(protocols::MakeConnection(*config_.protocol, std::move(connection), config_.connection));
    return true;
  }
  Result<std::unique_ptr<protocols::Connection>> detected =
      protocols::DetectConnection(std::move(connection), config_.connection);
  if (!detected.ok()) {
    LogDropped(detected.status(), "");
  } else if (detected.value()) {
    Serve(std::move(detected.value()));
  }
  return true;
}

bool Worker::TakeReadyAndServe() {
  if (!ready_open_) return false;
  Result<std::optional<HandedConnection>> handed = ReceiveConnection(config_.ready_fd);
  if (!handed.ok()) {
    // No master holds the channel's other end (it died, or was re-executed
    // from a binary that makes its own channels): keep serving new
    // connections until the lifeline says go.
    epoll_ctl(epoll_.get(), EPOLL_CTL_DEL, config_.ready_fd, nullptr);
    ready_open_ = false;
    return false;
  }
  if (!handed.value()) return false;  // another worker took it
  ParkHeld();
  Serve(protocols::MakeConnection(handed.value()->protocol, std::move(handed.value()->fd),
                                  config_.connection, /*reused=*/true));
  return true;
}

void Worker::Serve(std::unique_ptr<protocols::Connection> connection) {
  do {
    if (!ServeOne(*connection)) return;
  // (Even when about to be recycled: bytes already read would be lost.)
  } while (connection->keep_open() && connection->has_buffered_input());
  if (connection->keep_open()) Hold(std::move(connection));
}

bool Worker::ServeOne(protocols::Connection& connection) {
  Result<protocols::Incoming> incoming = connection.ReadRequest();
  if (!incoming.ok()) {
    LogDropped(incoming.status(), "; connection closed");
    return false;
  }
  if (incoming.value() == protocols::Incoming::kRequest) {
    if (config_.scoreboard) {
      // Before the request's clock starts: an import is not the request's.
      const uint64_t wanted = config_.scoreboard->slot(ScoreboardIndex()).app_generation.load();
      if (wanted != app_generation_) {
        app_generation_ = wanted;
        handler_.ReloadApp();
      }
      config_.scoreboard->BeginRequest(ScoreboardIndex(), protocols::RequestLine(connection.params()));
    }
    const time_t received = config_.access_log ? time(nullptr) : 0;
    protocols::Handled handled = handler_.Handle(connection);
    if (config_.scoreboard) {
      config_.scoreboard->EndRequest(ScoreboardIndex(),
                                     handled.outcome == protocols::Outcome::kAppFailed);
    }
    // (The params live until the next ReadRequest.)
    if (config_.access_log) LogAccess(connection.params(), received, handled);
    ++served_;
    AfterRequest();
  }
  return incoming.value() != protocols::Incoming::kClosed;
}

// Resident memory of this process in KiB, from /proc/self/statm.
uint64_t ResidentKb() {
  std::FILE* statm = std::fopen("/proc/self/statm", "r");
  if (statm == nullptr) return 0;
  unsigned long size = 0, resident = 0;
  int fields = std::fscanf(statm, "%lu %lu", &size, &resident);
  std::fclose(statm);
  return fields == 2 ? resident * static_cast<uint64_t>(sysconf(_SC_PAGESIZE)) / 1024 : 0;
}

void Worker::AfterRequest() {
  if (config_.max_requests > 0 && served_ >= config_.max_requests) recycle_ = true;
  // Resident memory costs an open and a read of /proc: after every request
  // only when --reload-on-rss needs it, else once a second for the stats.
  auto now = std::chrono::steady_clock::now();
  if (config_.reload_on_rss_mb == 0 && (!config_.scoreboard || now < next_rss_check_)) return;
  next_rss_check_ = now + std::chrono::seconds(1);
  uint64_t rss = ResidentKb();
  if (config_.scoreboard) config_.scoreboard->slot(ScoreboardIndex()).rss_kb.store(rss);
  if (config_.reload_on_rss_mb > 0 && rss > config_.reload_on_rss_mb * 1024 && !recycle_) {
    spdlog::info("resident memory {} MiB is over --reload-on-rss {} MiB; leaving to be replaced",
                 rss / 1024, config_.reload_on_rss_mb);
    recycle_ = true;
  }
}

void Worker::LogDropped(const Status& why, const char* suffix) {
  if (!why.timed_out()) {
    spdlog::warn("{}{}", why.message(), suffix);
    return;
  }
  service::LogRateLimit::Verdict verdict = deadline_lines_.Admit(std::chrono::steady_clock::now());
  if (verdict.write) {
    spdlog::warn("{}{}{}", why.message(), suffix, service::LogRateLimit::Suffix(verdict.held_back));
  }
}

void Worker::ReopenLogsIfAsked() {
  if (!reopen_requested) return;
  reopen_requested = 0;
  if (!config_.access_log) return;
  if (Status reopened = config_.access_log->Reopen(); !reopened.ok()) {
    spdlog::error("cannot reopen --access-log: {}; still writing to the old file",
                  reopened.message());
  }
}

void Worker::LogAccess(std::span<const protocols::Param> params, time_t received,
                       const protocols::Handled& handled) {
  using protocols::FindParam;
  int status = handled.status;
  // Gone before a response was started: nginx's "client closed request".
  if (status == 0 && handled.outcome == protocols::Outcome::kClientGone) status = 499;
  std::string line = service::FormatAccessLine({.remote_addr = FindParam(params, "REMOTE_ADDR"),
                                                .remote_user = FindParam(params, "REMOTE_USER"),
                                                .time = received,
                                                .method = FindParam(params, "REQUEST_METHOD"),
                                                .request_uri = FindParam(params, "REQUEST_URI"),
                                                .script_name = FindParam(params, "SCRIPT_NAME"),
                                                .path_info = FindParam(params, "PATH_INFO"),
                                                .query_string = FindParam(params, "QUERY_STRING"),
                                                .protocol = FindParam(params, "SERVER_PROTOCOL"),
                                                .status = status,
                                                .body_bytes = handled.body_bytes,
                                                .referer = FindParam(params, "HTTP_REFERER"),
                                                .user_agent = FindParam(params, "HTTP_USER_AGENT")});
  ReopenLogsIfAsked();
  if (Status written = config_.access_log->Write(line); !written.ok()) {
    service::LogRateLimit::Verdict verdict =
        access_log_errors_.Admit(std::chrono::steady_clock::now());
    if (verdict.write) {
      spdlog::error("--access-log: {}{}", written.message(),
                    service::LogRateLimit::Suffix(verdict.held_back));
    }
  }
}

void Worker::ServeHeld() {
  std::unique_ptr<protocols::Connection> connection = std::move(held_);
  epoll_ctl(epoll_.get(), EPOLL_CTL_DEL, connection->fd(), nullptr);
  Serve(std::move(connection));
}

void Worker::Hold(std::unique_ptr<protocols::Connection> connection) {
  if (Status watched = Watch(connection->fd(), EPOLLIN | EPOLLRDHUP); !watched.ok()) {
    spdlog::warn("{}; closing a kept connection", watched.message());
    return;
  }
  held_ = std::move(connection);
  held_since_ = std::chrono::steady_clock::now();
}

void Worker::ParkHeld() {
  if (!held_) return;
  epoll_ctl(epoll_.get(), EPOLL_CTL_DEL, held_->fd(), nullptr);
  Result<bool> parked = SendConnection(config_.park_fd, held_->protocol(), held_->fd());
  // (Fails only when no master holds the channel's other end; see
  // TakeReadyAndServe.)
  if (!parked.ok() && ready_open_) {
    spdlog::warn("{}; closing a kept connection", parked.status().message());
  }
  held_.reset();  // the master has its own copy now
}

}  // namespace

int ServeForever(const WorkerConfig& config, protocols::RequestHandler& handler) {
  Worker worker(config, handler);
  return worker.Run();
}

}  // namespace shoal::supervisor
