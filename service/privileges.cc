#include "service/privileges.h"

#include <grp.h>
#include <pwd.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <vector>

namespace shoal::service {
namespace {

// `text` as a whole decimal id, or nullopt.
std::optional<unsigned long> NumericId(const std::string& text) {
  unsigned long id = 0;
  auto [end, err] = std::from_chars(text.data(), text.data() + text.size(), id);
  if (text.empty() || err != std::errc() || end != text.data() + text.size() ||
      id >= static_cast<unsigned long>(static_cast<uid_t>(-1))) {
    return std::nullopt;
  }
  return id;
}

// getpwnam_r/getgrnam_r need a buffer; this size holds any sane entry.
constexpr size_t kEntryBuffer = 16384;

std::string NameOfUid(uid_t uid) {
  passwd entry{};
  passwd* found = nullptr;
  std::vector<char> buffer(kEntryBuffer);
  if (getpwuid_r(uid, &entry, buffer.data(), buffer.size(), &found) == 0 && found != nullptr) {
    return entry.pw_name;
  }
  return "uid " + std::to_string(uid);
}

}  // namespace

Result<UserAccount> LookUpUser(const std::string& text) {
  passwd entry{};
  passwd* found = nullptr;
  std::vector<char> buffer(kEntryBuffer);
  std::optional<unsigned long> number = NumericId(text);
  int rc = number ? getpwuid_r(static_cast<uid_t>(*number), &entry, buffer.data(), buffer.size(),
                               &found)
                  : getpwnam_r(text.c_str(), &entry, buffer.data(), buffer.size(), &found);
  if (rc == 0 && found != nullptr) {
    return UserAccount{.uid = entry.pw_uid, .gid = entry.pw_gid, .name = entry.pw_name,
                       .has_entry = true};
  }
  if (number) return UserAccount{.uid = static_cast<uid_t>(*number)};
  return Status::Error("no such user '" + text + "'");
}

Result<gid_t> LookUpGroup(const std::string& text) {
  if (std::optional<unsigned long> number = NumericId(text)) return static_cast<gid_t>(*number);
  group entry{};
  group* found = nullptr;
  std::vector<char> buffer(kEntryBuffer);
  if (getgrnam_r(text.c_str(), &entry, buffer.data(), buffer.size(), &found) == 0 &&
      found != nullptr) {
    return entry.gr_gid;
  }
  return Status::Error("no such group '" + text + "'");
}

Result<FileOwner> ParseFileOwner(const std::string& text) {
  size_t colon = text.find(':');
  std::string user = text.substr(0, colon);
  std::string group = colon == std::string::npos ? "" : text.substr(colon + 1);
  if (user.empty() && group.empty()) return Status::Error("expected USER, USER:GROUP or :GROUP");
  FileOwner owner;
  if (!user.empty()) {
    Result<UserAccount> account = LookUpUser(user);
    if (!account.ok()) return account.status();
    owner.uid = account.value().uid;
  }
  if (!group.empty()) {
    Result<gid_t> gid = LookUpGroup(group);
    if (!gid.ok()) return gid.status();
    owner.gid = gid.value();
  }
  return owner;
}

Status CheckCanSwitchTo(const RunAs& run_as) {
  if (run_as.empty() || geteuid() == 0) return Status::Ok();
  const uid_t uid = geteuid();
  if (run_as.user && run_as.user->uid != uid) {
    return Status::Error("--user " + NameOfUid(run_as.user->uid) + ": shoal runs as " +
                         NameOfUid(uid) + ", and only root may switch to another user");
  }
  std::optional<gid_t> gid = run_as.effective_group();
  if (gid && *gid != getegid()) {
    return Status::Error("--group " + std::to_string(*gid) + ": shoal runs as " + NameOfUid(uid) +
                         " with gid " + std::to_string(getegid()) +
                         ", and only root may switch to another group");
  }
  return Status::Ok();
}

Status DropPrivileges(const RunAs& run_as) {
  if (Status can = CheckCanSwitchTo(run_as); !can.ok()) return can;
  if (run_as.empty() || geteuid() != 0) return Status::Ok();  // already what was asked
  const gid_t gid = *run_as.effective_group();
  if (run_as.user && run_as.user->has_entry) {
    if (initgroups(run_as.user->name.c_str(), gid) != 0) {
      return PosixError("initgroups(" + run_as.user->name + ", " + std::to_string(gid) + ")",
                        errno);
    }
  } else if (setgroups(1, &gid) != 0) {
    return PosixError("setgroups(" + std::to_string(gid) + ")", errno);
  }
  if (setgid(gid) != 0) return PosixError("setgid(" + std::to_string(gid) + ")", errno);
  if (!run_as.user) return Status::Ok();
  const uid_t uid = run_as.user->uid;
  if (setuid(uid) != 0) return PosixError("setuid(" + std::to_string(uid) + ")", errno);
  // Paranoia, as OpenSSH: a dropped process must not get root back.
  if (uid != 0 && setuid(0) == 0) return Status::Error("setuid(0) succeeded after dropping root");
  return Status::Ok();
}

}  // namespace shoal::service
