#include "supervisor/worker.h"

#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <csignal>
#include <memory>
#include <unordered_map>

#include <spdlog/spdlog.h>

#include "base/unique_fd.h"
#include "daemon/exit_codes.h"
#include "protocols/fastcgi.h"
#include "protocols/scgi.h"

namespace shoal::supervisor {
namespace {

// How long a read from the front end may wait (nginx's own upstream
// timeouts are 60 s).
constexpr std::chrono::seconds kReadTimeout(60);

volatile std::sig_atomic_t stop_requested = 0;

void HandleTerm(int) { stop_requested = 1; }

class Worker {
 public:
  Worker(const WorkerConfig& config, protocols::RequestHandler& handler)
      : config_(config), handler_(handler) {}

  int Run();

 private:
  Status SetUp();
  // Accepts one connection if one is queued. Returns false when none was.
  bool AcceptAndServe();
  // Serves a new connection in the protocol configured or detected.
  void ServeNew(UniqueFd fd);
  std::optional<protocols::Protocol> Detect(int fd);
  std::unique_ptr<protocols::Connection> MakeConnection(protocols::Protocol protocol, UniqueFd fd);
  // Serves the next request on `connection`, then keeps it or drops it.
  void Serve(std::unique_ptr<protocols::Connection> connection);
  void ServeKept(int fd);
  void Park(std::unique_ptr<protocols::Connection> connection);

  const WorkerConfig& config_;
  protocols::RequestHandler& handler_;
  UniqueFd epoll_;
  UniqueFd spare_fd_;  // given up on EMFILE so a connection can be taken and shed
  sigset_t wait_mask_{};
  bool tcp_ = false;
  std::unordered_map<int, std::unique_ptr<protocols::Connection>> kept_;
};

Status Worker::SetUp() {
  // SIGTERM is caught only inside epoll_pwait, so it never interrupts a
  // request (libfcgi does not retry EINTR); SA_RESTART for safety anyway.
  struct sigaction action {};
  action.sa_handler = HandleTerm;
  action.sa_flags = SA_RESTART;
  sigemptyset(&action.sa_mask);
  sigaction(SIGTERM, &action, nullptr);
  std::signal(SIGPIPE, SIG_IGN);
  std::signal(SIGINT, SIG_IGN);  // a terminal's Ctrl-C is the master's to handle
  std::signal(SIGHUP, SIG_IGN);
  sigset_t term;
  sigemptyset(&term);
  sigaddset(&term, SIGTERM);
  sigprocmask(SIG_BLOCK, &term, &wait_mask_);
  sigdelset(&wait_mask_, SIGTERM);

  epoll_.Reset(epoll_create1(EPOLL_CLOEXEC));
  if (!epoll_.valid()) return PosixError("epoll_create1", errno);
  epoll_event listen_event{};
  listen_event.events = EPOLLIN | EPOLLEXCLUSIVE;
  listen_event.data.fd = config_.listen_fd;
  if (epoll_ctl(epoll_.get(), EPOLL_CTL_ADD, config_.listen_fd, &listen_event) != 0) {
    return PosixError("epoll_ctl(listening socket)", errno);
  }
  epoll_event lifeline_event{};
  lifeline_event.events = EPOLLIN;
  lifeline_event.data.fd = config_.lifeline_fd;
  if (epoll_ctl(epoll_.get(), EPOLL_CTL_ADD, config_.lifeline_fd, &lifeline_event) != 0) {
    return PosixError("epoll_ctl(lifeline)", errno);
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
    return kExitWorkerBootError;
  }
  constexpr int kMaxEvents = 16;
  epoll_event events[kMaxEvents];
  bool master_gone = false;
  while (!stop_requested && !master_gone) {
    handler_.BeginIdle();
    int count = epoll_pwait(epoll_.get(), events, kMaxEvents, -1, &wait_mask_);
    int saved_errno = errno;
    handler_.EndIdle();
    if (count < 0) {
      if (saved_errno == EINTR) continue;
      spdlog::error("{}", PosixError("epoll_pwait", saved_errno).message());
      return kExitFailure;
    }
    for (int i = 0; i < count && !master_gone; ++i) {
      int fd = events[i].data.fd;
      if (fd == config_.lifeline_fd) {
        master_gone = true;
      } else if (fd == config_.listen_fd) {
        AcceptAndServe();
      } else {
        ServeKept(fd);
      }
    }
  }
  if (master_gone) {
    spdlog::warn("master is gone; worker exiting");
    return kExitOk;
  }
  // Graceful stop: what the listen queue already holds was sent to us before
  // the stop; serve it rather than reset it.
  while (AcceptAndServe()) {
  }
  return kExitOk;
}

bool Worker::AcceptAndServe() {
  int fd = accept4(config_.listen_fd, nullptr, nullptr, SOCK_CLOEXEC);
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
  ServeNew(UniqueFd(fd));
  return true;
}

void Worker::ServeNew(UniqueFd fd) {
  timeval timeout{kReadTimeout.count(), 0};
  setsockopt(fd.get(), SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof(timeout));
  if (tcp_) {
    int on = 1;
    setsockopt(fd.get(), IPPROTO_TCP, TCP_NODELAY, &on, sizeof(on));
  }
  std::optional<protocols::Protocol> protocol =
      config_.protocol ? config_.protocol : Detect(fd.get());
  if (protocol) Serve(MakeConnection(*protocol, std::move(fd)));
}

std::unique_ptr<protocols::Connection> Worker::MakeConnection(protocols::Protocol protocol,
                                                              UniqueFd fd) {
  switch (protocol) {
    case protocols::Protocol::kFastCgi:
      return std::make_unique<protocols::FastCgiConnection>(std::move(fd));
    case protocols::Protocol::kScgi:
      return std::make_unique<protocols::ScgiConnection>(std::move(fd), config_.max_header_size);
    case protocols::Protocol::kAjp:
      return std::make_unique<protocols::AjpConnection>(std::move(fd), config_.ajp);
  }
  return nullptr;
}

std::optional<protocols::Protocol> Worker::Detect(int fd) {
  char first[protocols::kDetectBytes];
  ssize_t got;
  do {
    got = recv(fd, first, sizeof(first), MSG_PEEK | MSG_WAITALL);
  } while (got < 0 && errno == EINTR);
  if (got <= 0) {
    if (got < 0) spdlog::warn("{}; connection closed", PosixError("recv", errno).message());
    return std::nullopt;  // closed before saying anything: nothing to log
  }
  std::string_view bytes(first, static_cast<size_t>(got));
  std::optional<protocols::Protocol> protocol = protocols::DetectProtocol(bytes);
  if (!protocol) {
    spdlog::warn("connection speaks no protocol shoal knows (first bytes {:02x} {:02x}); closed",
                 static_cast<unsigned char>(bytes[0]),
                 bytes.size() > 1 ? static_cast<unsigned char>(bytes[1]) : 0);
  }
  return protocol;
}

void Worker::Serve(std::unique_ptr<protocols::Connection> connection) {
  Result<bool> ready = connection->ReadRequest();
  if (!ready.ok()) {
    spdlog::warn("{}; connection closed", ready.status().message());
    return;
  }
  if (!ready.value()) return;  // the front end closed it between requests
  handler_.Handle(*connection);
  if (connection->keep_open()) Park(std::move(connection));
}

void Worker::Park(std::unique_ptr<protocols::Connection> connection) {
  int fd = connection->fd();
  epoll_event event{};
  event.events = EPOLLIN | EPOLLRDHUP;
  event.data.fd = fd;
  if (epoll_ctl(epoll_.get(), EPOLL_CTL_ADD, fd, &event) != 0) {
    spdlog::warn("{}; closing a kept connection", PosixError("epoll_ctl", errno).message());
    return;
  }
  kept_[fd] = std::move(connection);
}

void Worker::ServeKept(int fd) {
  auto found = kept_.find(fd);
  if (found == kept_.end()) return;
  std::unique_ptr<protocols::Connection> connection = std::move(found->second);
  kept_.erase(found);
  epoll_ctl(epoll_.get(), EPOLL_CTL_DEL, fd, nullptr);
  Serve(std::move(connection));
}

}  // namespace

int ServeForever(const WorkerConfig& config, protocols::RequestHandler& handler) {
  Worker worker(config, handler);
  return worker.Run();
}

}  // namespace shoal::supervisor
