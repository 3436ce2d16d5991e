#include "support/served_app.h"

#include <stdexcept>

#include "support/loopback.h"

namespace shoal::tests {

std::string FrontEndName(FrontEnd front_end) {
  return front_end == FrontEnd::kNginxScgi ? "nginx-scgi" : "nginx-fastcgi";
}

ServedApp::ServedApp(const ServeOptions& options)
    : dir_("shoal-test"), socket_(dir_ / "shoal.sock"), workers_(options.workers) {
  std::vector<std::string> args{"--app", options.app, "--chdir", options.chdir.string(), "--bind",
                                "unix:" + socket_.string(), "--workers",
                                std::to_string(options.workers)};
  const bool scgi = options.front_end == FrontEnd::kNginxScgi;
  args.insert(args.end(), {"--protocol", scgi ? "scgi" : "fastcgi"});
  args.insert(args.end(), options.extra_args.begin(), options.extra_args.end());
  std::filesystem::path nginx_template = options.nginx_template;
  if (nginx_template.empty()) {
    nginx_template = SourceDir() / "conf" / (scgi ? "nginx-scgi.conf" : "nginx-fastcgi.conf");
  }
  shoal_ = std::make_unique<ShoalProcess>(args, dir_ / "shoal.log", options.env);
  if (!shoal_->WaitForSocket(socket_, std::chrono::seconds(15))) {
    throw std::runtime_error("shoal did not create " + socket_.string() + "\n" + Diagnostics());
  }
  try {
    nginx_ = std::make_unique<NginxProcess>(dir_.path(), socket_, FindFreeLoopbackPort(),
                                            std::chrono::seconds(10), nginx_template,
                                            options.nginx_values);
  } catch (const std::exception& e) {
    throw std::runtime_error(e.what() + std::string("\n") + Diagnostics());
  }
}

std::string ServedApp::Diagnostics() const {
  std::string text = "--- shoal log (" + (dir_ / "shoal.log").string() + ") ---\n";
  text += shoal_ ? shoal_->Log() : "(not started)\n";
  if (nginx_) text += nginx_->Diagnostics();
  return text;
}

}  // namespace shoal::tests
