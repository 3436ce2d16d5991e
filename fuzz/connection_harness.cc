#include "fuzz/connection_harness.h"

#include <fcntl.h>
#include <poll.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "base/retry.h"
#include "base/unique_fd.h"
#include "protocols/connection.h"
#include "protocols/request_handler.h"
#include "protocols/spooled_body.h"

namespace shoal::fuzz {
namespace {

using protocols::Connection;
using protocols::Exchange;
using protocols::Header;
using protocols::Incoming;
using protocols::Outcome;
using protocols::Param;

// A body larger than this is answered 413 unread, as --max-body-size does;
// a spooled one past kSpoolMemory goes to an unlinked file, as past 1 MiB
// in shoal (smaller here, so that short inputs reach the file too).
constexpr uint64_t kMaxBody = 256 * 1024;
constexpr size_t kSpoolMemory = 4096;
// A bound on the requests served on one connection (each consumes input,
// so it is only a guard).
constexpr int kMaxRounds = 10000;

[[noreturn]] void Die(const char* what) {
  std::perror(what);
  std::abort();
}

// The web server's side: writes `input`, then half-closes; reads and drops
// whatever comes back until the connection closes its end.
void PlayWebServer(int fd, std::string_view input) {
  fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
  bool writing = true;
  char sink[64 * 1024];
  for (;;) {
    if (writing && input.empty()) {
      shutdown(fd, SHUT_WR);
      writing = false;
    }
    pollfd watched{fd, static_cast<short>(POLLIN | (writing ? POLLOUT : 0)), 0};
    if (RetryOnEintr([&] { return poll(&watched, 1, -1); }) < 0) Die("poll");
    if (writing && (watched.revents & (POLLOUT | POLLERR))) {
      ssize_t sent = send(fd, input.data(), input.size(), MSG_NOSIGNAL);
      if (sent > 0) {
        input.remove_prefix(static_cast<size_t>(sent));
      } else if (errno != EAGAIN && errno != EINTR) {
        writing = false;  // the connection closed its end
      }
    }
    if (watched.revents & (POLLIN | POLLHUP | POLLERR)) {
      ssize_t got = read(fd, sink, sizeof(sink));
      if (got == 0 || (got < 0 && errno != EAGAIN && errno != EINTR)) return;
    }
  }
}

// The thread that plays the web server, one for the process (a thread made
// per input costs more than the input's serving), given one input at a
// time.
class WebServerThread {
 public:
  // The one instance, never destroyed (libFuzzer leaves with exit()).
  static WebServerThread& Get() {
    static WebServerThread* const instance = new WebServerThread();
    return *instance;
  }

  // Starts PlayWebServer(fd, input) on the thread. REQUIRES: the last
  // Start was followed by Wait; `input` outlives the next Wait.
  void Start(int fd, std::string_view input) {
    std::lock_guard<std::mutex> lock(mutex_);
    fd_ = fd;
    input_ = input;
    busy_ = true;
    changed_.notify_all();
  }

  // Returns once PlayWebServer has returned.
  void Wait() {
    std::unique_lock<std::mutex> lock(mutex_);
    changed_.wait(lock, [&] { return !busy_; });
  }

 private:
  WebServerThread() { std::thread([this] { Run(); }).detach(); }

  [[noreturn]] void Run() {
    for (;;) {
      std::unique_lock<std::mutex> lock(mutex_);
      changed_.wait(lock, [&] { return busy_; });
      int fd = fd_;
      std::string_view input = input_;
      lock.unlock();
      PlayWebServer(fd, input);
      lock.lock();
      busy_ = false;
      changed_.notify_all();
    }
  }

  std::mutex mutex_;
  std::condition_variable changed_;
  int fd_ = -1;
  std::string_view input_;
  bool busy_ = false;
};

// Reads every byte of every param (the views must still point at live
// memory) and returns a sum of them, so the reads cannot be left out.
size_t Touch(std::span<const Param> params) {
  size_t sum = 0;
  for (const Param& p : params) {
    for (char c : p.name) sum += static_cast<unsigned char>(c);
    for (char c : p.value) sum += static_cast<unsigned char>(c);
  }
  return sum;
}

std::optional<uint64_t> ParseLength(std::string_view text) {
  uint64_t length = 0;
  auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), length);
  if (text.empty() || error != std::errc() || end != text.data() + text.size()) return {};
  return length;
}

// Reads `body` to its end (or `limit` bytes) in wsgi.input-sized pieces.
// Returns false when a read failed.
bool ReadAll(protocols::BodyReader& body, uint64_t limit) {
  char buffer[8192];
  uint64_t read = 0;
  while (read < limit) {
    size_t want = static_cast<size_t>(std::min<uint64_t>(sizeof(buffer), limit - read));
    Result<size_t> got = body.ReadBody(buffer, want);
    if (!got.ok()) return false;
    if (got.value() == 0) break;
    read += got.value();
  }
  return true;
}

// A small file for SendFile, made once.
int FileToSend() {
  static const int fd = [] {
    int made = memfd_create("shoal-fuzz", MFD_CLOEXEC);
    if (made < 0) Die("memfd_create");
    std::string bytes(3000, 'f');
    if (write(made, bytes.data(), bytes.size()) != static_cast<ssize_t>(bytes.size())) {
      Die("write");
    }
    return made;
  }();
  return fd;
}

// Answers `status` with a short body, as the gateway's errors do.
void SendShort(Exchange& exchange, std::string_view status) {
  Header headers[] = {{"Content-Type", "text/plain"}, {"Content-Length", "6"}};
  if (exchange.SendHeaders(status, headers).ok() && exchange.Write("short\n").ok()) {
    (void)exchange.Finish();
  } else {
    exchange.Abort();
  }
}

class FuzzHandler final : public protocols::RequestHandler {
 public:
  protocols::Handled Handle(Exchange& exchange) override { return {.outcome = Serve(exchange)}; }

 private:
  Outcome Serve(Exchange& exchange) {
    std::span<const Param> params = exchange.params();
    std::string line = protocols::RequestLine(params);
    size_t before = Touch(params);
    int mode = static_cast<int>(protocols::FindParam(params, "REQUEST_URI").size() % 4);
    std::optional<uint64_t> length = ParseLength(protocols::FindParam(params, "CONTENT_LENGTH"));

    if (mode != 3) {  // mode 3 answers without reading the body
      if (length && *length > kMaxBody) {
        SendShort(exchange, "413 Request Entity Too Large");
        return Outcome::kServed;
      }
      if (length) {
        if (!ReadAll(exchange, *length)) {
          exchange.Abort();
          return Outcome::kClientGone;
        }
      } else {
        protocols::SpooledBody spooled;
        protocols::SpoolConfig spool{"/tmp", kSpoolMemory, kMaxBody};
        switch (spooled.Fill(exchange, spool)) {
          case protocols::SpooledBody::Failure::kNone:
            break;
          case protocols::SpooledBody::Failure::kTooLarge:
            SendShort(exchange, "413 Request Entity Too Large");
            return Outcome::kServed;
          case protocols::SpooledBody::Failure::kReadFailed:
            exchange.Abort();
            return Outcome::kClientGone;
          case protocols::SpooledBody::Failure::kSpoolFailed:
            SendShort(exchange, "500 Internal Server Error");
            return Outcome::kAppFailed;
        }
        if (!ReadAll(spooled, spooled.size())) std::abort();  // a spooled body cannot fail
      }
    }
    // The params must have outlived the body's reads.
    if (Touch(exchange.params()) != before) std::abort();
    Header headers[] = {{"Content-Type", "text/plain"}, {"X-Request", std::string_view(line).substr(0, 200)}};
    if (!exchange.SendHeaders("200 OK", headers).ok()) {
      exchange.Abort();
      return Outcome::kAppFailed;
    }
    bool written = exchange.Write("hello\n").ok();
    if (mode == 1) {
      // A streamed response: the gateway asks whether the web server gave
      // up between the app's blocks. (The web server here has half-closed
      // once its input was sent, which FastCGI takes as giving up.)
      written = written && exchange.Flush().ok();
      if (written && exchange.PeerAborted()) {
        exchange.Abort();
        return Outcome::kClientGone;
      }
      written = written && exchange.Write(std::string(20000, 'x')).ok() &&
                exchange.SendFile(FileToSend(), 100, 2000).ok();
    }
    if (mode == 2 || !written) {  // the app failed after its headers went out
      exchange.Abort();
      return Outcome::kAppFailed;
    }
    return exchange.Finish().ok() ? Outcome::kServed : Outcome::kClientGone;
  }
};

}  // namespace

void ServeFuzzInput(protocols::Protocol protocol, std::string_view input,
                    const protocols::ConnectionConfig& config) {
  int fds[2];
  if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds) != 0) Die("socketpair");
  UniqueFd web_server(fds[1]);
  WebServerThread::Get().Start(web_server.get(), input);

  // As Worker::AcceptAndServe and Worker::Serve: a read timeout on the
  // socket, then requests until the connection ends or waits.
  timeval timeout{60, 0};
  setsockopt(fds[0], SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof(timeout));
  std::unique_ptr<Connection> connection =
      protocols::MakeConnection(protocol, UniqueFd(fds[0]), config);
  FuzzHandler handler;
  // SHOAL_FUZZ_TRACE=1 prints what each ReadRequest found and how each
  // request ended, to see what an input (a seed, a crash) does.
  static const bool trace = std::getenv("SHOAL_FUZZ_TRACE") != nullptr;
  for (int round = 0; round < kMaxRounds; ++round) {
    Result<Incoming> incoming = connection->ReadRequest();
    if (trace) {
      std::fprintf(stderr, "shoal-fuzz: ReadRequest: %s\n",
                   !incoming.ok()                            ? incoming.status().message().c_str()
                   : incoming.value() == Incoming::kRequest ? "request"
                   : incoming.value() == Incoming::kIdle    ? "idle"
                                                             : "closed");
    }
    if (!incoming.ok() || incoming.value() == Incoming::kClosed) break;
    if (incoming.value() == Incoming::kRequest) {
      std::string line = trace ? protocols::RequestLine(connection->params()) : "";
      Outcome outcome = handler.Handle(*connection).outcome;
      if (trace) {
        std::fprintf(stderr, "shoal-fuzz: %s: %s\n", line.c_str(),
                     outcome == Outcome::kServed      ? "served"
                     : outcome == Outcome::kAppFailed ? "app failed"
                                                      : "client gone");
      }
    }
    if (!connection->keep_open()) break;
    if (!connection->has_buffered_input()) {
      // Held idle: wait, as the worker's epoll does, for the next bytes or
      // the peer's close.
      pollfd watched{connection->fd(), POLLIN | POLLRDHUP, 0};
      RetryOnEintr([&] { return poll(&watched, 1, -1); });
    }
  }
  connection.reset();  // closes our end: the web server sees EOF and returns
  WebServerThread::Get().Wait();
}

}  // namespace shoal::fuzz
