// SourceWatch: --reload-on-change's inotify watch on the app's source files.
//
// Watches the directories that hold the files (one inotify watch each,
// so an editor that writes a new file and renames it over the old one is
// seen as well as one that writes in place) and, for directories given
// whole, any *.py file in them. Owned by the master, whose epoll loop waits
// on fd(); Changed() then reads what came. Made after the import (the files
// are the app's modules'); not inherited across a re-exec (close-on-exec),
// where the new image makes its own.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "base/status.h"
#include "base/unique_fd.h"

namespace shoal::supervisor {

class SourceWatch {
 public:
  // Watches `files` (absolute paths) and every *.py file in `dirs`. Returns
  // an error naming the directory if inotify refuses one (too many
  // watches, or gone).
  static Result<SourceWatch> Create(const std::vector<std::string>& files,
                                    const std::vector<std::string>& dirs);

  int fd() const { return fd_.get(); }
  // How many files and directories are watched, for the log line.
  size_t files() const { return files_.size(); }
  size_t dirs() const { return whole_dirs_.size(); }

  // What the pending events changed: the first watched file whose new
  // content is complete (closed after writing, or renamed over the old
  // one), and how many such saves there were in all.
  struct Change {
    std::string path;
    int saves = 0;
  };
  // Reads the pending events (non-blocking). Returns what they changed, or
  // nullopt when none was about a watched file.
  std::optional<Change> Changed();

 private:
  struct Watched {
    int wd;
    std::string dir;
    bool whole;  // any *.py in it counts
  };
  explicit SourceWatch(UniqueFd fd) : fd_(std::move(fd)) {}

  UniqueFd fd_;
  std::vector<Watched> watched_;
  std::vector<std::string> files_;
  std::vector<std::string> whole_dirs_;
};

}  // namespace shoal::supervisor
