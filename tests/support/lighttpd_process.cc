#include "support/lighttpd_process.h"

#include <stdexcept>

#include "support/loopback.h"
#include "support/wait.h"

namespace shoal::tests {

std::filesystem::path LighttpdProcess::WriteConf(const std::filesystem::path& run_dir,
                                                 const std::filesystem::path& shoal_socket,
                                                 int port,
                                                 const std::filesystem::path& conf_template,
                                                 ConfValues values) {
  values["PORT"] = std::to_string(port);
  values["SOCKET"] = shoal_socket.string();
  values["PREFIX"] = run_dir.string();
  std::filesystem::path conf = run_dir / "lighttpd.conf";
  WriteRenderedTemplate(conf_template, values, conf);
  return conf;
}

LighttpdProcess::LighttpdProcess(const std::filesystem::path& run_dir,
                                 const std::filesystem::path& shoal_socket, int port,
                                 std::chrono::milliseconds timeout,
                                 const std::filesystem::path& conf_template,
                                 const ConfValues& extra)
    : run_dir_(run_dir),
      port_(port),
      child_(LighttpdBinary(),
             {"-D", "-f", WriteConf(run_dir, shoal_socket, port, conf_template, extra).string()},
             run_dir / "lighttpd.out", SIGTERM) {
  bool up = WaitUntil(timeout, [&] {
    return ConnectLoopback(port_, std::chrono::milliseconds(200)).valid() || !child_.running();
  });
  if (!up || !child_.running()) {
    throw std::runtime_error("lighttpd did not come up on 127.0.0.1:" + std::to_string(port_) +
                             "\n" + Diagnostics());
  }
}

std::string LighttpdProcess::Diagnostics() const {
  return "--- lighttpd output ---\n" + child_.Output() + "--- lighttpd error log ---\n" +
         ReadFileOrEmpty(run_dir_ / "lighttpd-error.log");
}

}  // namespace shoal::tests
