#include "support/apache_process.h"

#include <grp.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>

#include "support/loopback.h"
#include "support/paths.h"
#include "support/wait.h"

namespace shoal::tests {

std::filesystem::path ApacheProcess::WriteConf(const std::filesystem::path& run_dir, int port,
                                               const std::filesystem::path& conf_template,
                                               ConfValues values) {
  values["PORT"] = std::to_string(port);
  values["PREFIX"] = run_dir.string();
  std::filesystem::path conf = run_dir / "apache.conf";
  WriteRenderedTemplate(conf_template, values, conf);
  return conf;
}

std::vector<std::string> ApacheProcess::Args(const std::filesystem::path& conf) {
  std::vector<std::string> args{"-f", conf.string(), "-DFOREGROUND"};
  if (::geteuid() == 0) args.push_back("-DAS_ROOT");
  return args;
}

ApacheProcess::ApacheProcess(const std::filesystem::path& run_dir, int port,
                             const std::filesystem::path& conf_template, const ConfValues& values,
                             std::chrono::milliseconds timeout)
    : run_dir_(run_dir),
      port_(port),
      child_(ApacheBinary(), Args(WriteConf(run_dir, port, conf_template, values)),
             run_dir / "apache.out", SIGTERM) {
  bool up = WaitUntil(timeout, [&] {
    return ConnectLoopback(port_, std::chrono::milliseconds(200)).valid() || !child_.running();
  });
  if (!up || !child_.running()) {
    throw std::runtime_error("apache did not come up on 127.0.0.1:" + std::to_string(port_) + "\n" +
                             Diagnostics());
  }
}

std::string ApacheProcess::Diagnostics() const {
  return "--- apache output ---\n" + child_.Output() + "--- apache error log ---\n" +
         ReadFileOrEmpty(run_dir_ / "apache-error.log");
}

ConfigCheck CheckApacheConf(const std::filesystem::path& conf) {
  std::vector<std::string> args{"-t", "-f", conf.string()};
  if (::geteuid() == 0) args.push_back("-DAS_ROOT");
  std::filesystem::path output = conf.parent_path() / "apache-t.out";
  ChildProcess apache(ApacheBinary(), args, output);
  ConfigCheck check;
  check.exit_code = apache.WaitForExit(std::chrono::seconds(10)).value_or(-1);
  check.output = apache.Output();
  return check;
}

void LetApacheChildrenConnect(const std::filesystem::path& socket) {
  if (::geteuid() != 0) return;
  const group* www_data = ::getgrnam("www-data");
  if (www_data == nullptr) throw std::runtime_error("getgrnam(www-data) found no group");
  if (::chown(socket.c_str(), static_cast<uid_t>(-1), www_data->gr_gid) != 0) {
    throw std::runtime_error("chown(" + socket.string() + ") failed: " + std::strerror(errno));
  }
  const std::filesystem::path dir = socket.parent_path();
  if (::chmod(dir.c_str(), 0711) != 0) {
    throw std::runtime_error("chmod(" + dir.string() + ") failed: " + std::strerror(errno));
  }
}

}  // namespace shoal::tests
