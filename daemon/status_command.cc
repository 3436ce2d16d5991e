#include "daemon/status_command.h"

#include <netdb.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <sstream>
#include <string>

#include <boost/program_options.hpp>

#include "base/unique_fd.h"
#include "base/bind_address.h"
#include "service/exit_codes.h"

namespace shoal::daemon {
namespace po = boost::program_options;
namespace {

UniqueFd Connect(const BindAddress& address) {
  if (address.kind == BindAddress::Kind::kUnix) {
    UniqueFd fd(socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    std::snprintf(addr.sun_path, sizeof(addr.sun_path), "%s", address.path.c_str());
    if (connect(fd.get(), reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) return UniqueFd();
    return fd;
  }
  addrinfo hints{};
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* found = nullptr;
  if (getaddrinfo(address.host.c_str(), std::to_string(address.port).c_str(), &hints, &found) != 0) {
    errno = EHOSTUNREACH;
    return UniqueFd();
  }
  UniqueFd fd(socket(found->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0));
  int result = connect(fd.get(), found->ai_addr, found->ai_addrlen);
  freeaddrinfo(found);
  return result == 0 ? std::move(fd) : UniqueFd();
}

}  // namespace

int RunStatusCommand(int argc, const char* const argv[]) {
  po::options_description desc("Usage: shoal status --stats ADDRESS [--json | --metrics]");
  desc.add_options()("stats", po::value<std::string>()->value_name("ADDRESS"),
                     "the --stats address of the running shoal")(
      "json", "print the JSON document instead of a table")(
      "metrics", "print Prometheus text instead of a table")("help,h", "print this help");
  po::variables_map vm;
  try {
    po::store(po::command_line_parser(argc, argv).options(desc).run(), vm);
  } catch (const po::error& e) {
    std::fprintf(stderr, "shoal status: %s (see 'shoal status --help')\n", e.what());
    return service::kExitUsage;
  }
  if (vm.count("help")) {
    std::printf("%s", (std::ostringstream() << desc).str().c_str());
    return service::kExitOk;
  }
  if (!vm.count("stats")) {
    std::fprintf(stderr, "shoal status: the option '--stats' is required but missing\n");
    return service::kExitUsage;
  }
  Result<BindAddress> address = ParseBindAddress(vm["stats"].as<std::string>());
  if (!address.ok()) {
    std::fprintf(stderr, "shoal status: %s\n", address.status().message().c_str());
    return service::kExitUsage;
  }
  UniqueFd fd = Connect(address.value());
  if (!fd.valid()) {
    std::fprintf(stderr, "shoal status: cannot connect to %s: %s\n",
                 address.value().ToString().c_str(), std::strerror(errno));
    return service::kExitFailure;
  }
  const char* path = vm.count("json") ? "/" : vm.count("metrics") ? "/metrics" : "/table";
  std::string request = std::string("GET ") + path + " HTTP/1.0\r\n\r\n";
  timeval timeout{5, 0};
  setsockopt(fd.get(), SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof(timeout));
  if (send(fd.get(), request.data(), request.size(), MSG_NOSIGNAL) !=
      static_cast<ssize_t>(request.size())) {
    std::fprintf(stderr, "shoal status: cannot send to %s: %s\n",
                 address.value().ToString().c_str(), std::strerror(errno));
    return service::kExitFailure;
  }
  std::string response;
  char buffer[16384];
  for (ssize_t n; (n = read(fd.get(), buffer, sizeof(buffer))) > 0;) {
    response.append(buffer, static_cast<size_t>(n));
  }
  size_t body = response.find("\r\n\r\n");
  if (!response.starts_with("HTTP/1.0 200") || body == std::string::npos) {
    std::fprintf(stderr, "shoal status: %s did not answer as shoal's stats do\n",
                 address.value().ToString().c_str());
    return service::kExitFailure;
  }
  std::fwrite(response.data() + body + 4, 1, response.size() - body - 4, stdout);
  return service::kExitOk;
}

}  // namespace shoal::daemon
