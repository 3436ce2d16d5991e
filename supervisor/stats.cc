#include "supervisor/stats.h"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include <fmt/format.h>

namespace shoal::supervisor {
namespace {

// A JSON string literal.
std::string Quote(const std::string& text) {
  std::string out = "\"";
  for (unsigned char c : text) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += static_cast<char>(c);
    } else if (c < 0x20 || c >= 0x7f) {
      out += fmt::format("\\u{:04x}", c);  // bytes as latin-1 code points
    } else {
      out += static_cast<char>(c);
    }
  }
  return out + "\"";
}

}  // namespace

std::string StatsJson(const StatsSnapshot& stats) {
  std::string out = fmt::format(
      "{{\"version\": {}, \"master_pid\": {}, \"idle_connections\": {}, \"listen_queue\": {}, "
      "\"workers\": [",
      Quote(stats.version), stats.master_pid, stats.idle_connections,
      stats.listen_queue ? std::to_string(*stats.listen_queue) : "null");
  for (size_t i = 0; i < stats.workers.size(); ++i) {
    const WorkerStats& w = stats.workers[i];
    out += fmt::format(
        "{}{{\"slot\": {}, \"pid\": {}, \"status\": {}, \"requests\": {}, \"exceptions\": {}, "
        "\"timeouts\": {}, \"respawns\": {}, \"rss_kb\": {}, \"average_ms\": {:.2f}, "
        "\"request\": {}, \"running_ms\": {}}}",
        i == 0 ? "" : ", ", w.slot, w.pid, Quote(w.status), w.requests, w.exceptions, w.timeouts,
        w.respawns, w.rss_kb, w.average_ms, Quote(w.request), w.running_ms);
  }
  return out + "]}\n";
}

std::string StatsPrometheus(const StatsSnapshot& stats) {
  std::string out;
  auto family = [&](const char* name, const char* type, const char* help) {
    out += fmt::format("# HELP {} {}\n# TYPE {} {}\n", name, help, name, type);
  };
  family("shoal_idle_connections", "gauge", "Idle persistent connections parked with the master.");
  out += fmt::format("shoal_idle_connections {}\n", stats.idle_connections);
  if (stats.listen_queue) {
    family("shoal_listen_queue", "gauge", "Connections waiting to be accepted.");
    out += fmt::format("shoal_listen_queue {}\n", *stats.listen_queue);
  }
  family("shoal_workers", "gauge", "Workers by status.");
  for (const char* status : {"starting", "idle", "busy", "stopping"}) {
    size_t count = 0;
    for (const WorkerStats& w : stats.workers) count += w.status == status;
    out += fmt::format("shoal_workers{{status=\"{}\"}} {}\n", status, count);
  }
  struct Counter {
    const char* name;
    const char* type;
    const char* help;
    double (*value)(const WorkerStats&);
  };
  const Counter counters[] = {
      {"shoal_worker_requests_total", "counter", "Requests served by the worker in this slot.",
       [](const WorkerStats& w) { return static_cast<double>(w.requests); }},
      {"shoal_worker_exceptions_total", "counter", "Requests that ended in an app exception.",
       [](const WorkerStats& w) { return static_cast<double>(w.exceptions); }},
      {"shoal_worker_timeouts_total", "counter", "Workers killed by --timeout in this slot.",
       [](const WorkerStats& w) { return static_cast<double>(w.timeouts); }},
      {"shoal_worker_respawns_total", "counter", "Workers started again in this slot.",
       [](const WorkerStats& w) { return static_cast<double>(w.respawns); }},
      {"shoal_worker_rss_bytes", "gauge", "Resident memory after the last request.",
       [](const WorkerStats& w) { return static_cast<double>(w.rss_kb) * 1024; }},
      {"shoal_worker_average_response_seconds", "gauge", "Mean response time.",
       [](const WorkerStats& w) { return w.average_ms / 1000; }},
  };
  for (const Counter& counter : counters) {
    family(counter.name, counter.type, counter.help);
    for (const WorkerStats& w : stats.workers) {
      out += fmt::format("{}{{slot=\"{}\",pid=\"{}\"}} {}\n", counter.name, w.slot, w.pid,
                         counter.value(w));
    }
  }
  return out;
}

std::string StatsTable(const StatsSnapshot& stats) {
  std::string out = fmt::format("shoal {}, master pid {}, {} idle connections{}\n", stats.version,
                                stats.master_pid, stats.idle_connections,
                                stats.listen_queue
                                    ? fmt::format(", {} waiting to be accepted", *stats.listen_queue)
                                    : "");
  out += fmt::format("{:>4} {:>7} {:<8} {:>9} {:>5} {:>8} {:>8} {:>8} {:>8}  {}\n", "SLOT", "PID",
                     "STATUS", "REQUESTS", "EXC", "TIMEOUTS", "RESPAWNS", "RSS MiB", "AVG ms",
                     "REQUEST");
  for (const WorkerStats& w : stats.workers) {
    std::string request =
        w.request.empty() ? "" : fmt::format("{} ({} ms)", w.request, w.running_ms);
    out += fmt::format("{:>4} {:>7} {:<8} {:>9} {:>5} {:>8} {:>8} {:>8.1f} {:>8.2f}  {}\n",
                       w.slot, w.pid, w.status, w.requests, w.exceptions, w.timeouts, w.respawns,
                       static_cast<double>(w.rss_kb) / 1024, w.average_ms, request);
  }
  return out;
}

StatsSnapshot TakeSnapshot(const WorkerTable& table, pid_t master_pid, size_t idle_connections,
                           int listen_fd) {
  static constexpr const char* kStatus[] = {"empty", "starting", "idle", "busy", "stopping"};
  StatsSnapshot stats;
  stats.version = SHOAL_VERSION;
  stats.master_pid = master_pid;
  stats.idle_connections = idle_connections;
  tcp_info info{};
  socklen_t length = sizeof(info);
  if (getsockopt(listen_fd, IPPROTO_TCP, TCP_INFO, &info, &length) == 0) {
    stats.listen_queue = info.tcpi_unacked;  // for a listening socket: its accept queue
  }
  const int64_t now_ms = Scoreboard::NowMs();
  for (size_t i = 0; i < table.size(); ++i) {
    const WorkerTable::Slot& slot = table.slot(i);
    if (slot.pid <= 0) continue;
    const ScoreboardSlot& score = table.score(i);
    WorkerStats w;
    w.slot = i;
    w.pid = slot.pid;
    WorkerState state = slot.retiring ? WorkerState::kStopping : score.state.load();
    w.status = kStatus[static_cast<size_t>(state)];
    w.requests = score.requests.load();
    w.exceptions = score.exceptions.load();
    w.timeouts = score.timeouts.load();
    w.respawns = score.respawns.load();
    w.rss_kb = score.rss_kb.load();
    w.average_ms = w.requests == 0 ? 0
                                   : static_cast<double>(score.busy_ms.load()) /
                                         static_cast<double>(w.requests);
    int64_t started = score.request_started_ms.load();
    if (started > 0) {
      w.request = score.request_line;
      w.running_ms = now_ms - started;
    }
    stats.workers.push_back(std::move(w));
  }
  return stats;
}

}  // namespace shoal::supervisor
