#include "supervisor/reexec.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>

#include "supervisor/exec_fields.h"

namespace shoal::supervisor {
namespace {

constexpr const char* kVariable = "SHOAL_REEXEC";

}  // namespace

std::optional<Inheritance> TakeInheritance() {
  std::optional<InheritedFields> fields = InheritedFields::Take(kVariable);
  if (!fields) return std::nullopt;
  Inheritance inheritance{.listen_fd = fields->TakeFd("listen"),
                          .stats_fd = fields->TakeFd("stats"),
                          .old_lifeline = fields->TakeFd("old_lifeline"),
                          .channels = std::nullopt,
                          .parked = {}};
  HandoffChannels channels{.park_receive = fields->TakeFd("park_receive"),
                           .park_send = fields->TakeFd("park_send"),
                           .ready_receive = fields->TakeFd("ready_receive"),
                           .ready_send = fields->TakeFd("ready_send")};
  if (channels.park_receive.valid() && channels.park_send.valid() &&
      channels.ready_receive.valid() && channels.ready_send.valid()) {
    inheritance.channels = std::move(channels);
  }
  for (const std::string& name : fields->FdNames("parked")) {
    auto protocol = static_cast<protocols::Protocol>(fields->Number(name + "_protocol", 0));
    inheritance.parked.push_back({protocol, fields->TakeFd(name)});
  }
  return inheritance;
}

Status Reexec(const std::string& program, const std::vector<std::string>& argv,
              const ReexecHandover& handover) {
  ExecFields fields;
  fields.AddFd("listen", handover.listen_fd);
  fields.AddFd("stats", handover.stats_fd);
  fields.AddFd("old_lifeline", handover.old_lifeline_fd);
  if (handover.channels != nullptr) {
    fields.AddFd("park_receive", handover.channels->park_receive.get());
    fields.AddFd("park_send", handover.channels->park_send.get());
    fields.AddFd("ready_receive", handover.channels->ready_receive.get());
    fields.AddFd("ready_send", handover.channels->ready_send.get());
  }
  for (size_t i = 0; i < handover.parked.size(); ++i) {
    const std::string name = "parked" + std::to_string(i);
    fields.AddFd(name, handover.parked[i].fd.get());
    fields.Add(name + "_protocol", static_cast<long>(handover.parked[i].protocol));
  }
  ExecFields::Opened opened(fields, kVariable);
  std::vector<char*> args;
  for (const std::string& arg : argv) args.push_back(const_cast<char*>(arg.c_str()));
  args.push_back(nullptr);
  // Where the first image started, so relative paths in `argv` mean the
  // same; if --user may not enter it (root started shoal in /root), the
  // exec goes ahead from here and only absolute paths keep their meaning.
  UniqueFd here(open(".", O_PATH | O_DIRECTORY | O_CLOEXEC));
  if (!handover.start_dir.empty()) (void)chdir(handover.start_dir.c_str());
  execv(program.c_str(), args.data());
  Status failed = PosixError("execv(" + program + ")", errno);
  if (here.valid()) (void)fchdir(here.get());
  return failed;
}

}  // namespace shoal::supervisor
