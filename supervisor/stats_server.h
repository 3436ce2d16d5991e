// StatsServer: the master's --stats socket.
//
// Answers one HTTP/1.0 request per connection, so `curl --unix-socket PATH
// http://shoal/` works: GET / is JSON, GET /metrics Prometheus text, GET
// /table the table `shoal status` prints; anything else 404. Clients live in
// the master's epoll and nothing on them blocks: reads and writes are
// non-blocking, a reply that does not fit the socket buffer is sent as the
// client reads it. No client can lock the socket out: one that has not sent
// its request within kClientTimeout, or stops reading its reply for that
// long, is closed (Expire), and a new client is always taken, closing the
// oldest when kMaxClients are open. Runs in the master only; not
// thread-safe.
#pragma once

#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <unordered_map>

#include "base/unique_fd.h"
#include "supervisor/listener.h"
#include "supervisor/stats.h"

namespace shoal::supervisor {

class StatsServer {
 public:
  using Clock = std::chrono::steady_clock;
  // How long a client may take to send its request, and then to read each
  // part of its reply.
  static constexpr std::chrono::seconds kClientTimeout{2};
  // Clients open at once; the next one closes the oldest.
  static constexpr size_t kMaxClients = 64;

  // Registers `listener` with `epoll_fd`; `snapshot` is called per request.
  StatsServer(Listener listener, int epoll_fd, std::function<StatsSnapshot()> snapshot);
  StatsServer(const StatsServer&) = delete;
  StatsServer& operator=(const StatsServer&) = delete;

  int listen_fd() const { return listener_.fd(); }
  // Whether `fd` (from an epoll event) is this server's.
  bool Owns(int fd) const { return fd == listener_.fd() || clients_.count(fd) != 0; }
  // Handles an epoll event on `fd`, one of Owns().
  void OnEvent(int fd, uint32_t events);

  // Closes clients past their deadline at `now`. Returns the next deadline,
  // if any client is open.
  std::optional<Clock::time_point> Expire(Clock::time_point now);

  size_t clients() const { return clients_.size(); }

 private:
  struct Client {
    UniqueFd fd;
    Clock::time_point accepted;
    Clock::time_point deadline;  // closed if nothing moves by then
    std::string request = {};    // read so far
    std::string reply = {};      // answered; reply[sent...] still to go
    size_t sent = 0;
  };

  void Accept();
  void Read(Client& client);
  // Sends what the socket takes of the reply; closes the client once all
  // of it went, or on an error.
  void Send(Client& client);
  void Close(int fd);
  void CloseOldest();
  std::string Answer(const std::string& request);

  Listener listener_;
  int epoll_fd_;
  std::function<StatsSnapshot()> snapshot_;
  std::unordered_map<int, Client> clients_;
};

}  // namespace shoal::supervisor
