// StatsServer: the master's --stats socket.
//
// Answers one HTTP/1.0 request per connection, so `curl --unix-socket PATH
// http://shoal/` works: GET / is JSON, GET /metrics Prometheus text, GET
// /table the table `shoal status` prints; anything else 404. Clients live in
// the master's epoll and are answered once their request line is in, so a
// slow client never blocks the master. Runs in the master only.
#pragma once

#include <functional>
#include <string>
#include <unordered_map>

#include "base/unique_fd.h"
#include "supervisor/listener.h"
#include "supervisor/stats.h"

namespace shoal::supervisor {

class StatsServer {
 public:
  // Registers `listener` with `epoll_fd`; `snapshot` is called per request.
  StatsServer(Listener listener, int epoll_fd, std::function<StatsSnapshot()> snapshot);
  StatsServer(const StatsServer&) = delete;
  StatsServer& operator=(const StatsServer&) = delete;

  int listen_fd() const { return listener_.fd(); }
  // Whether `fd` (from an epoll event) is this server's.
  bool Owns(int fd) const { return fd == listener_.fd() || clients_.count(fd) != 0; }
  void OnReadable(int fd);

 private:
  void Accept();
  void Read(int fd);
  std::string Answer(const std::string& request);

  Listener listener_;
  int epoll_fd_;
  std::function<StatsSnapshot()> snapshot_;
  std::unordered_map<int, std::pair<UniqueFd, std::string>> clients_;  // fd → (fd, request so far)
};

}  // namespace shoal::supervisor
