#include "support/served_app.h"

#include <stdexcept>

#include "support/apache_process.h"
#include "support/lighttpd_process.h"
#include "support/loopback.h"
#include "support/nginx_process.h"

namespace shoal::tests {
namespace {

// shoal's command line for `options`, bound to `bind` speaking `protocol`.
std::vector<std::string> ShoalArgs(const ServeOptions& options, const std::string& bind,
                                   const std::string& protocol) {
  std::vector<std::string> args{"--chdir", options.chdir.string(), "--bind", bind,
                                "--protocol", protocol};
  if (!options.app.empty()) args.insert(args.begin(), {"--app", options.app});
  if (options.workers > 0) args.insert(args.end(), {"--workers", std::to_string(options.workers)});
  if (!options.ajp_secret.empty()) args.insert(args.end(), {"--ajp-secret", options.ajp_secret});
  if (options.front_end == FrontEnd::kApacheAjp) {
    args.insert(args.end(), {"--ajp-packet-size", std::to_string(options.ajp_packet_size)});
  }
  // lighttpd serves the app under /app (conf/lighttpd-scgi.conf): shoal is
  // told the mount point, as its README says to.
  if (options.front_end == FrontEnd::kLighttpdScgi) {
    args.insert(args.end(), {"--script-name", "/app"});
  }
  args.insert(args.end(), options.extra_args.begin(), options.extra_args.end());
  return args;
}

// The Apache worker parameter for the secret: "" or "secret=S".
std::string SecretParam(const ServeOptions& options) {
  return options.ajp_secret.empty() ? "" : "secret=" + options.ajp_secret;
}

std::filesystem::path TemplateFor(const ServeOptions& options) {
  return options.conf_template.empty() ? FrontEndTemplate(options.front_end)
                                       : options.conf_template;
}

std::string_view ProtocolFor(FrontEnd front_end) {
  switch (front_end) {
    case FrontEnd::kNginxFastCgi:
    case FrontEnd::kNginxFastCgiKeepalive:
    case FrontEnd::kApacheFastCgi:
      return "fastcgi";
    case FrontEnd::kNginxScgi:
    case FrontEnd::kApacheScgi:
    case FrontEnd::kLighttpdScgi:
      return "scgi";
    case FrontEnd::kApacheAjp:
      return "ajp";
  }
  throw std::logic_error("unknown front end");
}

}  // namespace

std::string FrontEndName(FrontEnd front_end) {
  switch (front_end) {
    case FrontEnd::kNginxFastCgi:
      return "nginx-fastcgi";
    case FrontEnd::kNginxFastCgiKeepalive:
      return "nginx-fastcgi-keepalive";
    case FrontEnd::kNginxScgi:
      return "nginx-scgi";
    case FrontEnd::kApacheAjp:
      return "apache-ajp";
    case FrontEnd::kApacheFastCgi:
      return "apache-fastcgi";
    case FrontEnd::kApacheScgi:
      return "apache-scgi";
    case FrontEnd::kLighttpdScgi:
      return "lighttpd-scgi";
  }
  throw std::logic_error("unknown front end");
}

std::filesystem::path FrontEndTemplate(FrontEnd front_end) {
  switch (front_end) {
    case FrontEnd::kNginxFastCgi:
      return NginxTemplate();
    case FrontEnd::kNginxFastCgiKeepalive:
      return SourceDir() / "conf" / "nginx-fastcgi-keepalive.conf";
    case FrontEnd::kNginxScgi:
      return SourceDir() / "conf" / "nginx-scgi.conf";
    case FrontEnd::kApacheAjp:
      return ApacheTemplate();
    case FrontEnd::kApacheFastCgi:
      return SourceDir() / "conf" / "apache-fastcgi.conf";
    case FrontEnd::kApacheScgi:
      return SourceDir() / "conf" / "apache-scgi.conf";
    case FrontEnd::kLighttpdScgi:
      return LighttpdTemplate();
  }
  throw std::logic_error("unknown front end");
}

bool FrontEndUsesTcp(FrontEnd front_end) {
  return front_end == FrontEnd::kApacheAjp || front_end == FrontEnd::kApacheScgi;
}

std::string FrontEndPrefix(FrontEnd front_end) {
  return front_end == FrontEnd::kLighttpdScgi ? "/app" : "";
}

std::string FrontEndUploadLocation(FrontEnd front_end) {
  switch (front_end) {
    case FrontEnd::kNginxFastCgi:
    case FrontEnd::kNginxFastCgiKeepalive: return "/unbuffered/";
    case FrontEnd::kNginxScgi: return "/large/";
    case FrontEnd::kLighttpdScgi: return "/app/large/";
    case FrontEnd::kApacheAjp:
    case FrontEnd::kApacheFastCgi:
    case FrontEnd::kApacheScgi: return "/";
  }
  throw std::logic_error("unknown front end");
}

ServedApp::ServedApp(const ServeOptions& options)
    : dir_("shoal-test"), front_end_(options.front_end), workers_(options.workers) {
  const bool tcp = FrontEndUsesTcp(front_end_);
  std::string bind;
  if (tcp) {
    shoal_port_ = FindFreeLoopbackPort();
    bind = "127.0.0.1:" + std::to_string(shoal_port_);
  } else {
    socket_ = dir_ / "shoal.sock";
    bind = "unix:" + socket_.string();
  }
  const std::string protocol =
      options.protocol.empty() ? std::string(ProtocolFor(front_end_)) : options.protocol;
  shoal_ = std::make_unique<ShoalProcess>(ShoalArgs(options, bind, protocol), dir_ / "shoal.log",
                                          options.env);
  bool ready = tcp ? shoal_->WaitForPort(shoal_port_, std::chrono::seconds(15))
                   : shoal_->WaitForSocket(socket_, std::chrono::seconds(15));
  if (!ready) throw std::runtime_error("shoal did not listen on " + bind + "\n" + Diagnostics());
  if (front_end_ == FrontEnd::kApacheFastCgi) LetApacheChildrenConnect(socket_);

  const std::filesystem::path conf_template = TemplateFor(options);
  const int port = FindFreeLoopbackPort();
  const auto timeout = std::chrono::seconds(10);
  try {
    switch (front_end_) {
      case FrontEnd::kNginxFastCgi:
      case FrontEnd::kNginxFastCgiKeepalive:
      case FrontEnd::kNginxScgi:
        web_server_ = std::make_unique<NginxProcess>(dir_.path(), socket_, port, timeout,
                                                     conf_template, options.conf_values);
        break;
      case FrontEnd::kApacheAjp: {
        ConfValues values = options.conf_values;
        values.emplace("AJP_PORT", std::to_string(shoal_port_));
        values.emplace("AJP_SECRET", SecretParam(options));
        values.emplace("AJP_PACKET_SIZE", std::to_string(options.ajp_packet_size));
        web_server_ =
            std::make_unique<ApacheProcess>(dir_.path(), port, conf_template, values, timeout);
        break;
      }
      case FrontEnd::kApacheFastCgi: {
        ConfValues values = options.conf_values;
        values.emplace("SOCKET", socket_.string());
        web_server_ =
            std::make_unique<ApacheProcess>(dir_.path(), port, conf_template, values, timeout);
        break;
      }
      case FrontEnd::kApacheScgi: {
        ConfValues values = options.conf_values;
        values.emplace("SCGI_PORT", std::to_string(shoal_port_));
        web_server_ =
            std::make_unique<ApacheProcess>(dir_.path(), port, conf_template, values, timeout);
        break;
      }
      case FrontEnd::kLighttpdScgi:
        web_server_ = std::make_unique<LighttpdProcess>(dir_.path(), socket_, port, timeout,
                                                        conf_template, options.conf_values);
        break;
    }
  } catch (const std::exception& e) {
    throw std::runtime_error(e.what() + std::string("\n") + Diagnostics());
  }
}

std::string ServedApp::Diagnostics() const {
  std::string text = "--- shoal log (" + (dir_ / "shoal.log").string() + ") ---\n";
  text += shoal_ ? shoal_->Log() : "(not started)\n";
  if (web_server_) text += web_server_->Diagnostics();
  return text;
}

BalancedApp::BalancedApp(const ServeOptions& options) : dir_("shoal-balanced") {
  for (size_t i = 0; i < shoals_.size(); ++i) {
    shoal_ports_[i] = FindFreeLoopbackPort();
    std::string bind = "127.0.0.1:" + std::to_string(shoal_ports_[i]);
    shoals_[i] = std::make_unique<ShoalProcess>(
        ShoalArgs(options, bind, "ajp"), dir_ / ("shoal-node" + std::to_string(i + 1) + ".log"),
        options.env);
  }
  for (size_t i = 0; i < shoals_.size(); ++i) {
    if (!shoals_[i]->WaitForPort(shoal_ports_[i], std::chrono::seconds(15))) {
      throw std::runtime_error("shoal node" + std::to_string(i + 1) +
                               " did not listen on 127.0.0.1:" + std::to_string(shoal_ports_[i]) +
                               "\n" + Diagnostics());
    }
  }
  ConfValues values{{"AJP_PORT_1", std::to_string(shoal_ports_[0])},
                    {"AJP_PORT_2", std::to_string(shoal_ports_[1])},
                    {"AJP_SECRET", SecretParam(options)},
                    {"AJP_PACKET_SIZE", std::to_string(options.ajp_packet_size)}};
  try {
    apache_ = std::make_unique<ApacheProcess>(dir_.path(), FindFreeLoopbackPort(),
                                              ApacheBalancerTemplate(), values);
  } catch (const std::exception& e) {
    throw std::runtime_error(e.what() + std::string("\n") + Diagnostics());
  }
}

std::string BalancedApp::Diagnostics() const {
  std::string text;
  for (size_t i = 0; i < shoals_.size(); ++i) {
    std::string name = "shoal-node" + std::to_string(i + 1) + ".log";
    text +=
        "--- shoal node" + std::to_string(i + 1) + " log (" + (dir_ / name).string() + ") ---\n";
    text += shoals_[i] ? shoals_[i]->Log() : "(not started)\n";
  }
  if (apache_) text += apache_->Diagnostics();
  return text;
}

}  // namespace shoal::tests
