// Privileges: the user and group shoal runs as (--user, --group), and the
// owner of its unix sockets (--socket-owner).
//
// Names and numeric ids are looked up once, when the options are parsed.
// DropPrivileges runs in the master after the sockets are bound (and chowned)
// and before the app is imported, so neither the app nor any worker ever runs
// as root; re-executed images (HUP) and lazy workers inherit the lowered ids.
// Master process only, before any fork.
#pragma once

#include <sys/types.h>

#include <optional>
#include <string>

#include "base/status.h"

namespace shoal::service {

// A user from --user: its ids and, if it has a passwd entry, its name (for
// initgroups).
struct UserAccount {
  uid_t uid = 0;
  gid_t gid = 0;          // the passwd entry's primary group
  std::string name = {};  // "" for a numeric id with no passwd entry
  bool has_entry = false;
};

// Who the process becomes: --user and/or --group. --group alone (as in
// gunicorn and uWSGI) changes only the group; the user stays.
struct RunAs {
  std::optional<UserAccount> user = {};
  std::optional<gid_t> group = {};

  bool empty() const { return !user && !group; }
  // The group the process ends with: --group, else the user's primary one.
  std::optional<gid_t> effective_group() const {
    if (group) return group;
    if (user) return user->gid;
    return std::nullopt;
  }
};

// Owner and group given to a unix socket file; -1 leaves one unchanged
// (chown(2)'s convention).
struct FileOwner {
  uid_t uid = static_cast<uid_t>(-1);
  gid_t gid = static_cast<gid_t>(-1);

  bool empty() const { return uid == static_cast<uid_t>(-1) && gid == static_cast<gid_t>(-1); }
};

// "www-data" or "33". Returns the account, or an error naming `text` ("no
// such user"). A number without a passwd entry has `has_entry` false and
// gid equal to nothing useful: RunAs then needs --group.
Result<UserAccount> LookUpUser(const std::string& text);

// "www-data" or "33". Returns the gid, or an error naming `text`.
Result<gid_t> LookUpGroup(const std::string& text);

// --socket-owner: "USER", "USER:GROUP" or ":GROUP". "USER" alone leaves the
// group unchanged, as chown(1) does.
Result<FileOwner> ParseFileOwner(const std::string& text);

// Whether this process may become `run_as`: root may become anyone; another
// user only what it already is. Returns an error line saying who runs
// shoal and why it cannot switch.
Status CheckCanSwitchTo(const RunAs& run_as);

// Sets the supplementary groups (initgroups for a user with a passwd
// entry, else just the one group), then the gid, then the uid, each
// checked; nothing when `run_as` is empty or already what the process is.
// On failure returns "setuid(65534) failed: ..." and the process is left
// part-way: the caller must exit.
Status DropPrivileges(const RunAs& run_as);

}  // namespace shoal::service
