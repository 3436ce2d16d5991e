// ParkingLot: the idle persistent connections, held by the master.
//
// Workers park a connection here when they take other work; the master
// watches every parked connection in its epoll. When one becomes readable:
// an EOF drops it (the web server closed it); an AJP CPING is answered here
// and now, even with every worker busy; anything else is a request, and the
// connection leaves the lot to be handed to an idle worker. Connections idle
// longer than the idle timeout are closed, and when the lot is full the
// oldest is closed to make room. A CPING that has only begun to arrive gets
// kPartialTimeout for the rest, and the master does not wake for it again
// meanwhile (it used to spin on it). A busy connection is never here, so never
// closed by either rule.
//
// Runs in the master, after the workers are forked; not thread-safe.
#pragma once

#include <chrono>
#include <list>
#include <optional>
#include <unordered_map>
#include <vector>

#include "service/log_rate_limit.h"
#include "supervisor/handoff.h"

namespace shoal::supervisor {

class ParkingLot {
 public:
  using Clock = std::chrono::steady_clock;

  // `epoll_fd` is the master's epoll; parked fds are registered there with
  // their fd as the event data. REQUIRES: max_idle >= 1.
  ParkingLot(int epoll_fd, std::chrono::milliseconds idle_timeout, size_t max_idle);

  // Takes `connection`, closing the oldest parked one if the lot is full.
  void Park(HandedConnection connection);

  bool Holds(int fd) const { return by_fd_.count(fd) != 0; }
  size_t size() const { return by_fd_.size(); }

  // Handles readiness of parked `fd`. Returns the connection if a request
  // has arrived on it (it has left the lot); nullopt if it was closed or
  // only needed a CPONG.
  std::optional<HandedConnection> OnReadable(int fd);

  // A CPING begun but not finished within this is closed.
  static constexpr std::chrono::seconds kPartialTimeout{2};

  // Closes connections idle past the timeout, or with a partial CPING past
  // kPartialTimeout. Returns when the next one will expire, if any is
  // parked.
  std::optional<Clock::time_point> ExpireIdle(Clock::time_point now);

  // Closes everything parked.
  void Clear();

  // In a forked worker: closes this process's copies of the parked fds and
  // leaves the epoll the lot shares with the master alone.
  void ForgetInChild() {
    by_fd_.clear();
    order_.clear();
    partial_ = 0;
  }

  // Takes every parked connection out of the lot (for a re-exec).
  std::vector<HandedConnection> TakeAll();

 private:
  struct Parked {
    HandedConnection connection;
    Clock::time_point since;
    // The start of a CPING came, not the rest: since when. Watched edge-
    // triggered meanwhile, so the master wakes for more bytes, not again
    // and again for the same ones.
    std::optional<Clock::time_point> partial_since = {};
  };
  using Order = std::list<Parked>;  // oldest first

  void Drop(Order::iterator parked);
  // Watches the connection level- or edge-triggered (see Parked).
  void Rearm(int fd, bool edge_triggered);
  HandedConnection Take(Order::iterator parked);

  int epoll_fd_;
  std::chrono::milliseconds idle_timeout_;
  size_t max_idle_;
  service::LogRateLimit full_lines_;
  Order order_;
  size_t partial_ = 0;  // parked connections with a partial CPING
  std::unordered_map<int, Order::iterator> by_fd_;
};

}  // namespace shoal::supervisor
