#include "service/service_dir.h"

#include <pwd.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <filesystem>
#include <fstream>
#include <system_error>

#include "service/embedded_templates.h"

namespace shoal::service {
namespace fs = std::filesystem;
namespace {

// What the templates hold as examples, replaced when a directory is written.
constexpr std::string_view kExampleProgram = "/usr/bin/shoal";
constexpr std::string_view kExampleOptions =
    "--app myproject.wsgi:application --bind unix:/run/shoal/app.sock";
constexpr std::string_view kExampleUser = "www-data";

// The command that switches user in each kind's scripts.
std::string_view SetUserCommand(ServiceKind kind) {
  switch (kind) {
    case ServiceKind::kDaemontools: return "setuidgid";
    case ServiceKind::kRunit: return "chpst -u";
    case ServiceKind::kS6: return "s6-setuidgid";
  }
  return "";
}

// `text` with its one `example` replaced; an error if it is not there once.
Result<std::string> ReplaceOnce(std::string text, std::string_view example,
                                std::string_view replacement, std::string_view template_path) {
  const size_t at = text.find(example);
  if (at == std::string::npos || text.find(example, at + 1) != std::string::npos) {
    return Status::Error("template " + std::string(template_path) + " must hold '" +
                         std::string(example) + "' exactly once");
  }
  text.replace(at, example.size(), replacement);
  return text;
}

Result<std::string> RenderScript(const EmbeddedTemplate& source, const ServiceDirSpec& spec,
                                 bool is_log) {
  const std::string set_user = std::string(SetUserCommand(spec.kind)) + " ";
  const std::string& user = is_log ? spec.log_user : spec.user;
  Result<std::string> text = ReplaceOnce(
      std::string(source.text), set_user + std::string(kExampleUser) + " ",
      user.empty() ? std::string() : set_user + ShellQuote(user) + " ", source.path);
  if (!text.ok() || is_log) return text;
  text = ReplaceOnce(std::move(text).value(), kExampleProgram, ShellQuote(spec.program),
                     source.path);
  if (!text.ok()) return text;
  std::string options;
  for (const std::string& option : spec.options) {
    if (!options.empty()) options += ' ';
    options += ShellQuote(option);
  }
  return ReplaceOnce(std::move(text).value(), kExampleOptions, options, source.path);
}

Status WriteWhole(const fs::path& path, const std::string& text, mode_t mode) {
  const fs::path temporary = path.string() + ".new";
  {
    std::ofstream out(temporary, std::ios::binary | std::ios::trunc);
    out << text;
    out.flush();
    if (!out) return Status::Error("cannot write " + temporary.string());
  }
  if (chmod(temporary.c_str(), mode) != 0) return PosixError("chmod(" + temporary.string() + ")", errno);
  if (rename(temporary.c_str(), path.c_str()) != 0) {
    return PosixError("rename(" + temporary.string() + ", " + path.string() + ")", errno);
  }
  return Status::Ok();
}

Status MakeDirectory(const fs::path& path, std::vector<std::string>& done) {
  std::error_code error;
  if (fs::create_directories(path, error)) {
    done.push_back("created " + path.string() + "/");
  } else if (error) {
    return Status::Error("cannot create " + path.string() + ": " + error.message());
  }
  return Status::Ok();
}

}  // namespace

std::optional<ServiceKind> ServiceKindNamed(std::string_view name) {
  for (ServiceKind kind : {ServiceKind::kDaemontools, ServiceKind::kRunit, ServiceKind::kS6}) {
    if (name == ServiceKindName(kind)) return kind;
  }
  return std::nullopt;
}

const char* ServiceKindName(ServiceKind kind) {
  switch (kind) {
    case ServiceKind::kDaemontools: return "daemontools";
    case ServiceKind::kRunit: return "runit";
    case ServiceKind::kS6: return "s6";
  }
  return "";
}

std::vector<std::string> FixedArguments(ServiceKind kind) {
  if (kind == ServiceKind::kS6) return {"--ready-fd", "3"};
  return {};
}

std::string ShellQuote(std::string_view word) {
  auto plain = [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           std::string_view("@%+=:,./_-").find(c) != std::string_view::npos;
  };
  bool quote = word.empty();
  for (char c : word) quote = quote || !plain(c);
  if (!quote) return std::string(word);
  std::string quoted = "'";
  for (char c : word) {
    if (c == '\'') {
      quoted += "'\\''";
    } else {
      quoted += c;
    }
  }
  return quoted + "'";
}

Result<std::vector<ServiceFile>> RenderServiceDir(const ServiceDirSpec& spec) {
  const std::string prefix = std::string(ServiceKindName(spec.kind)) + "/";
  std::vector<ServiceFile> files;
  for (const EmbeddedTemplate& source : kEmbeddedTemplates) {
    if (!source.path.starts_with(prefix)) continue;
    ServiceFile file{.path = std::string(source.path.substr(prefix.size())),
                     .text = std::string(source.text),
                     .mode = 0644};
    if (file.path == "run" || file.path == "log/run") {
      Result<std::string> text = RenderScript(source, spec, file.path == "log/run");
      if (!text.ok()) return text.status();
      file.text = std::move(text).value();
      file.mode = 0755;
    }
    files.push_back(std::move(file));
  }
  return files;
}

Status CheckUser(const std::string& user) {
  if (getpwnam(user.c_str()) == nullptr) return Status::Error("no such user '" + user + "'");
  return Status::Ok();
}

Result<std::vector<std::string>> WriteServiceDir(const ServiceDirSpec& spec) {
  const fs::path dir = fs::absolute(spec.dir).lexically_normal();
  std::error_code error;
  if (fs::exists(dir, error)) {
    if (!fs::is_directory(dir, error)) return Status::Error(dir.string() + " is not a directory");
    if (!spec.force && !fs::is_empty(dir, error)) {
      return Status::Error(dir.string() + " exists and is not empty (--force writes over it)");
    }
  }
  Result<std::vector<ServiceFile>> files = RenderServiceDir(spec);
  if (!files.ok()) return files.status();
  std::vector<std::string> done;
  for (const fs::path& sub : {dir, dir / "log", dir / "log" / "main"}) {
    if (Status made = MakeDirectory(sub, done); !made.ok()) return made;
  }
  if (spec.kind == ServiceKind::kDaemontools) {
    if (Status made = MakeDirectory(dir / "env", done); !made.ok()) return made;
  }
  for (const ServiceFile& file : files.value()) {
    if (Status written = WriteWhole(dir / file.path, file.text, file.mode); !written.ok()) {
      return written;
    }
    done.push_back("wrote " + (dir / file.path).string());
  }
  // The logger writes log/main as its user.
  if (!spec.log_user.empty() && geteuid() == 0) {
    const passwd* account = getpwnam(spec.log_user.c_str());
    if (account == nullptr) return Status::Error("no such user '" + spec.log_user + "'");
    const fs::path main = dir / "log" / "main";
    if (chown(main.c_str(), account->pw_uid, account->pw_gid) != 0) {
      return PosixError("chown(" + main.string() + ", " + spec.log_user + ")", errno);
    }
    done.push_back("gave " + main.string() + "/ to " + spec.log_user);
  }
  return done;
}

std::vector<std::string> NextSteps(const ServiceDirSpec& spec) {
  const std::string dir = fs::absolute(spec.dir).lexically_normal().string();
  std::vector<std::string> steps;
  switch (spec.kind) {
    case ServiceKind::kDaemontools:
      steps.push_back("next: ln -s " + dir + " /etc/service/   (svscan starts it within 5 s; "
                      "svc -u " + dir + " starts it if it has a down file; svc -h reloads, "
                      "svc -d stops)");
      break;
    case ServiceKind::kRunit:
      steps.push_back("next: ln -s " + dir + " /etc/service/   (runsvdir starts it; sv hup " +
                      dir + " reloads, sv down stops)");
      break;
    case ServiceKind::kS6:
      steps.push_back("next: ln -s " + dir + " /run/service/ && s6-svscanctl -a /run/service   "
                      "(s6-svwait -U " + dir + " returns once it serves; s6-svc -h reloads, "
                      "s6-svc -d stops)");
      break;
  }
  steps.push_back("the run script starts in " + dir +
                  ": relative paths in the options are relative to it");
  if (!spec.user.empty()) {
    steps.push_back("shoal runs as " + spec.user + ": a unix socket's directory must be "
                    "writable by " + spec.user + ", and the app readable");
  }
  if (!spec.log_user.empty() && geteuid() != 0) {
    steps.push_back("not root: make " + dir + "/log/main writable by " + spec.log_user);
  }
  return steps;
}

}  // namespace shoal::service
