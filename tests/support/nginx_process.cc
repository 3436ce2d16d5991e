#include "support/nginx_process.h"

#include <unistd.h>

#include <fstream>
#include <stdexcept>

#include "support/loopback.h"
#include "support/nginx_conf.h"
#include "support/paths.h"
#include "support/wait.h"

namespace shoal::tests {

std::filesystem::path NginxProcess::WriteConf(const std::filesystem::path& run_dir,
                                              const std::filesystem::path& shoal_socket, int port,
                                              const std::filesystem::path& conf_template,
                                              const std::map<std::string, std::string>& extra) {
  NginxConfValues values;
  values.listen = "127.0.0.1:" + std::to_string(port);
  values.socket = shoal_socket.string();
  values.prefix = run_dir.string();
  values.as_root = ::geteuid() == 0;
  values.extra = extra;
  std::string text = ReadFileOrEmpty(conf_template);
  if (text.empty()) throw std::runtime_error("cannot read " + conf_template.string());

  std::filesystem::path conf = run_dir / "nginx.conf";
  std::ofstream out(conf, std::ios::binary);
  out << RenderNginxConf(text, values);
  out.close();
  if (!out) throw std::runtime_error("cannot write " + conf.string());
  return conf;
}

NginxProcess::NginxProcess(const std::filesystem::path& run_dir,
                           const std::filesystem::path& shoal_socket, int port,
                           std::chrono::milliseconds timeout,
                           const std::filesystem::path& conf_template,
                           const std::map<std::string, std::string>& extra)
    : run_dir_(run_dir),
      port_(port),
      // -e: the error log before the config is read (the built-in one is
      // under /var/log/nginx, not writable by everyone).
      child_(NginxBinary(),
             {"-p", run_dir.string(), "-c", WriteConf(run_dir, shoal_socket, port, conf_template, extra).string(),
              "-e", (run_dir / "error.log").string(), "-g", "daemon off;"},
             run_dir / "nginx.out", SIGQUIT) {
  bool up = WaitUntil(timeout, [&] {
    return ConnectLoopback(port_, std::chrono::milliseconds(200)).valid() || !child_.running();
  });
  if (!up || !child_.running()) {
    throw std::runtime_error("nginx did not come up on 127.0.0.1:" + std::to_string(port_) +
                             "\n" + Diagnostics());
  }
}

std::string NginxProcess::Diagnostics() const {
  return "--- nginx output ---\n" + child_.Output() + "--- nginx error.log ---\n" +
         ReadFileOrEmpty(run_dir_ / "error.log");
}

}  // namespace shoal::tests
