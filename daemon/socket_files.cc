#include "daemon/socket_files.h"

#include "service/inherited_socket.h"

#include <unistd.h>

#include <filesystem>
#include <string>
#include <system_error>

namespace shoal::daemon {

service::FileOwner SocketOwnerOf(const Options& options) {
  return options.socket_owner ? *options.socket_owner : AppUserOf(options);
}

service::FileOwner AppUserOf(const Options& options) {
  service::FileOwner owner;
  if (options.user) owner.uid = options.user->uid;
  if (options.group) {
    owner.gid = *options.group;
  } else if (options.user) {
    owner.gid = options.user->gid;
  }
  return owner;
}

// shoal does not guess the directory's owner and mode: it must exist.
Status CheckSocketDirectory(const BindAddress& address, const Options& options) {
  if (address.kind != BindAddress::Kind::kUnix) return Status::Ok();
  const std::filesystem::path dir = std::filesystem::path(address.path).parent_path();
  std::error_code error;
  if (dir.empty() || std::filesystem::exists(dir, error) || error) return Status::Ok();
  std::string owner;
  if (options.user && options.user->has_entry) {
    owner = options.user->name;
  } else if (options.user) {
    owner = std::to_string(options.user->uid);
  } else if (Result<service::UserAccount> self = service::LookUpUser(std::to_string(geteuid()));
             self.ok() && self.value().has_entry) {
    owner = self.value().name;
  }
  return Status::Error("cannot bind " + address.ToString() + ": the directory " + dir.string() +
                       " does not exist; make it first, e.g. `install -d " +
                       (owner.empty() ? "" : "-o " + owner + " ") + dir.string() + "`");
}

bool BindsItsSocket(const Options& options, const std::optional<supervisor::Inheritance>& inherited) {
  return !inherited && options.bind && options.bind->kind != BindAddress::Kind::kFd;
}

Result<supervisor::Listener> TakeGivenListener(const Options& options,
                                               std::optional<supervisor::Inheritance>& inherited,
                                               const Result<std::optional<int>>& activated) {
  if (inherited) return supervisor::Listener::Adopt(std::move(inherited->listen_fd), options.bind);
  if (options.bind) return supervisor::Listener::Inherit(options.bind->fd, options.bind->ToString());
  if (!activated.ok()) return activated.status();
  if (activated.value()) {
    return supervisor::Listener::Inherit(*activated.value(), "fd:3 from systemd (LISTEN_FDS)");
  }
  return supervisor::Listener::Inherit(0, "fd:0");
}

bool HasSocketToServe(const Options& options, const std::optional<supervisor::Inheritance>& inherited,
                      const Result<std::optional<int>>& activated) {
  return inherited || options.bind || !activated.ok() || activated.value() ||
         service::StdinIsListening();
}

}  // namespace shoal::daemon
