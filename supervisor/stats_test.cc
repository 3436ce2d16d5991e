#include "supervisor/stats.h"

#include <gtest/gtest.h>

namespace shoal::supervisor {
namespace {

StatsSnapshot Example() {
  StatsSnapshot stats;
  stats.version = "1.2.3";
  stats.master_pid = 100;
  stats.idle_connections = 4;
  WorkerStats busy;
  busy.slot = 0;
  busy.pid = 101;
  busy.status = "busy";
  busy.requests = 7;
  busy.exceptions = 1;
  busy.rss_kb = 2048;
  busy.average_ms = 12.5;
  busy.request = "GET /a\"b";
  busy.running_ms = 30;
  WorkerStats idle;
  idle.slot = 1;
  idle.pid = 102;
  idle.status = "idle";
  stats.workers = {busy, idle};
  return stats;
}

TEST(StatsTest, JsonHasEveryFieldAndEscapesStrings) {
  std::string json = StatsJson(Example());
  EXPECT_NE(json.find("\"master_pid\": 100"), std::string::npos) << json;
  EXPECT_NE(json.find("\"listen_queue\": null"), std::string::npos) << json;
  EXPECT_NE(json.find("\"status\": \"busy\", \"requests\": 7, \"exceptions\": 1"),
            std::string::npos)
      << json;
  EXPECT_NE(json.find("\"request\": \"GET /a\\\"b\""), std::string::npos) << json;
  EXPECT_NE(json.find("\"rss_kb\": 2048, \"average_ms\": 12.50"), std::string::npos) << json;
}

TEST(StatsTest, PrometheusTextHasTypedFamiliesAndLabels) {
  std::string text = StatsPrometheus(Example());
  EXPECT_NE(text.find("# TYPE shoal_worker_requests_total counter"), std::string::npos);
  EXPECT_NE(text.find("shoal_worker_requests_total{slot=\"0\",pid=\"101\"} 7\n"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("shoal_workers{status=\"busy\"} 1\n"), std::string::npos);
  EXPECT_NE(text.find("shoal_worker_rss_bytes{slot=\"0\",pid=\"101\"} 2097152\n"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("shoal_idle_connections 4\n"), std::string::npos);
}

TEST(StatsTest, TableHasARowPerWorker) {
  std::string table = StatsTable(Example());
  EXPECT_NE(table.find("SLOT"), std::string::npos);
  EXPECT_NE(table.find("GET /a\"b (30 ms)"), std::string::npos) << table;
  EXPECT_NE(table.find("   1     102 idle"), std::string::npos) << table;
}

}  // namespace
}  // namespace shoal::supervisor
