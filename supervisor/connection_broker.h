// ConnectionBroker: the master's side of persistent connections.
//
// Owns the park channel (a worker that takes other work sends its idle
// connection here), the ParkingLot where idle connections wait (EOF drops
// one, a CPING is answered, idle ones expire), and the ready channel: a
// connection whose next request has arrived is sent down it, and whichever
// idle worker reads first serves it. Both channels are SOCK_SEQPACKET
// sockets passing fds with SCM_RIGHTS (handoff.h). So an idle connection
// costs a file descriptor, never a worker.
//
// Made by the Master before the first fork, in the master process; its fds
// are registered in the master's epoll. A worker keeps only its ends of the
// channels and drops the rest right after fork (DropInWorker). The channels
// outlive a re-exec (HUP, USR2): the next image makes its broker over the
// same ones (Create's `inherited`), so the previous generation's workers
// go on parking their idle connections while they last, and park the one
// they hold when they leave; the new image receives them all.
#pragma once

#include <chrono>
#include <deque>
#include <memory>
#include <optional>
#include <vector>

#include "base/status.h"
#include "base/unique_fd.h"
#include "supervisor/handoff.h"
#include "supervisor/parking_lot.h"

namespace shoal::supervisor {

class ConnectionBroker {
 public:
  using Clock = std::chrono::steady_clock;

  // Takes over the channels a previous image of the master handed over,
  // or makes both if `inherited` is nullopt (a first start, or a previous
  // image that passed none), and registers the park channel in `epoll_fd`.
  // Returns the error of the first call that failed.
  static Result<std::unique_ptr<ConnectionBroker>> Create(
      int epoll_fd, std::chrono::milliseconds idle_timeout, size_t max_idle,
      std::optional<HandoffChannels> inherited = std::nullopt);
  ConnectionBroker(const ConnectionBroker&) = delete;
  ConnectionBroker& operator=(const ConnectionBroker&) = delete;

  // The workers' ends: where they park connections, and where they wait
  // for ready ones. Valid until DropInWorker in the master.
  int park_fd_for_workers() const { return channels_.park_send.get(); }
  int ready_fd_for_workers() const { return channels_.ready_receive.get(); }
  // All four ends, for a re-exec to hand over; they stay the broker's.
  const HandoffChannels& channels() const { return channels_; }

  // Handles readiness of `fd` if it is the broker's (the park channel, the
  // ready channel draining, or a parked connection). Returns false if it
  // is not.
  bool OnEvent(int fd);

  // Sends connections whose request has arrived to the workers, as many as
  // the ready channel takes now (the rest wait until it drains).
  void Dispatch();

  // Closes idle connections past their time. Returns when the next one
  // expires, if any is parked.
  std::optional<Clock::time_point> ExpireIdle(Clock::time_point now) {
    return lot_.ExpireIdle(now);
  }

  // While stopping, connections workers park are closed instead of kept.
  void StopParking() { parking_ = false; }

  // Parks `connection` (one a previous image of the master handed over).
  void Park(HandedConnection connection) { lot_.Park(std::move(connection)); }
  // Takes out every idle or ready connection, for a re-exec to hand over.
  std::vector<HandedConnection> TakeAll();
  // Closes every connection.
  void Clear();

  size_t idle_connections() const { return lot_.size(); }

  // In a new worker: closes the master's ends and this process's copies of
  // every connection (the master's stay open). Keeps the workers' ends.
  void DropInWorker();

 private:
  ConnectionBroker(int epoll_fd, std::chrono::milliseconds idle_timeout, size_t max_idle)
      : epoll_fd_(epoll_fd), lot_(epoll_fd, idle_timeout, max_idle) {}

  void ReceiveParked();

  int epoll_fd_;
  HandoffChannels channels_;
  ParkingLot lot_;
  std::deque<HandedConnection> ready_;  // requests waiting for a worker
  bool ready_blocked_ = false;          // the ready channel is full
  bool parking_ = true;
};

}  // namespace shoal::supervisor
