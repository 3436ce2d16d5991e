#include "supervisor/source_watch.h"

#include <sys/inotify.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>

namespace shoal::supervisor {
namespace {

// A file whose new content is complete: closed after writing (saved in
// place, or made anew), or renamed over the old one. Not its creation nor
// its removal: vim moves the old file aside before it writes the new one,
// and a reload then would import a module that is not there.
constexpr uint32_t kEvents = IN_CLOSE_WRITE | IN_MOVED_TO;

}  // namespace

Result<SourceWatch> SourceWatch::Create(const std::vector<std::string>& files,
                                        const std::vector<std::string>& dirs) {
  UniqueFd fd(inotify_init1(IN_NONBLOCK | IN_CLOEXEC));
  if (!fd.valid()) return PosixError("inotify_init1", errno);
  SourceWatch watch(std::move(fd));
  auto add = [&watch](const std::string& dir, bool whole) -> Status {
    for (Watched& watched : watch.watched_) {
      if (watched.dir == dir) {
        watched.whole = watched.whole || whole;
        return Status::Ok();
      }
    }
    const int wd = inotify_add_watch(watch.fd_.get(), dir.c_str(), kEvents | IN_ONLYDIR);
    if (wd < 0) return PosixError("inotify_add_watch(" + dir + ")", errno);
    watch.watched_.push_back({wd, dir, whole});
    return Status::Ok();
  };
  for (const std::string& file : files) {
    const std::string dir = std::filesystem::path(file).parent_path().string();
    if (Status added = add(dir, false); !added.ok()) return added;
    watch.files_.push_back(file);
  }
  for (const std::string& dir : dirs) {
    if (Status added = add(dir, true); !added.ok()) return added;
    watch.whole_dirs_.push_back(dir);
  }
  return watch;
}

std::optional<SourceWatch::Change> SourceWatch::Changed() {
  std::optional<Change> changed;
  alignas(inotify_event) char buffer[16 * 1024];
  for (;;) {
    const ssize_t length = read(fd_.get(), buffer, sizeof(buffer));
    if (length <= 0) break;  // EAGAIN: all read
    for (ssize_t offset = 0; offset < length;) {
      const auto* event = reinterpret_cast<const inotify_event*>(buffer + offset);
      offset += static_cast<ssize_t>(sizeof(inotify_event) + event->len);
      if (event->len == 0) continue;
      const std::string name(event->name);
      auto watched = std::find_if(watched_.begin(), watched_.end(),
                                  [event](const Watched& w) { return w.wd == event->wd; });
      if (watched == watched_.end()) continue;
      const std::string path = watched->dir + "/" + name;
      // Emacs' lock files (.#name.py) are not sources.
      const bool source = name.ends_with(".py") && !name.starts_with(".#");
      if ((watched->whole && source) ||
          std::find(files_.begin(), files_.end(), path) != files_.end()) {
        if (!changed) changed = Change{path, 0};
        ++changed->saves;
      }
    }
  }
  return changed;
}

}  // namespace shoal::supervisor
