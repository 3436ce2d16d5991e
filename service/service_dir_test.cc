#include "service/service_dir.h"

#include <pwd.h>
#include <sys/stat.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "service/embedded_templates.h"

namespace shoal::service {
namespace {
namespace fs = std::filesystem;

std::string ReadFile(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

// What /bin/sh makes of `quoted`: its words, each followed by '|'.
std::string ShellWords(const std::string& quoted) {
  std::string command = "printf '%s|' " + quoted;
  FILE* shell = popen(command.c_str(), "r");
  std::string out;
  char buffer[256];
  for (size_t n; (n = fread(buffer, 1, sizeof(buffer), shell)) > 0;) out.append(buffer, n);
  pclose(shell);
  return out;
}

class TempDirectory {
 public:
  TempDirectory() {
    char name[] = "/tmp/shoal-service-dir-XXXXXX";
    path_ = mkdtemp(name);
  }
  ~TempDirectory() { fs::remove_all(path_); }
  const fs::path& path() const { return path_; }

 private:
  fs::path path_;
};

mode_t ModeOf(const fs::path& path) {
  struct stat info {};
  stat(path.c_str(), &info);
  return info.st_mode & 07777;
}

TEST(ShellQuoteTest, LeavesPlainWordsAndQuotesTheRest) {
  EXPECT_EQ(ShellQuote("--app"), "--app");
  EXPECT_EQ(ShellQuote("unix:/run/shoal/app.sock"), "unix:/run/shoal/app.sock");
  EXPECT_EQ(ShellQuote("/blog=site.wsgi:app"), "/blog=site.wsgi:app");
  EXPECT_EQ(ShellQuote(""), "''");
  EXPECT_EQ(ShellQuote("a b"), "'a b'");
  EXPECT_EQ(ShellQuote("it's"), "'it'\\''s'");
  EXPECT_EQ(ShellQuote("$HOME"), "'$HOME'");
}

TEST(ShellQuoteTest, TheShellReadsBackEachWordExactly) {
  const std::vector<std::string> words = {
      "plain", "", "two words", "it's", "$HOME", "`id`", "a\"b", "back\\slash",
      "star*", "semi;colon", "new\nline", "~tilde", "'", "''", "x'y'z", "&|<>(){}[]!#"};
  std::string quoted;
  std::string expected;
  for (const std::string& word : words) {
    quoted += ShellQuote(word) + " ";
    expected += word + "|";
  }
  EXPECT_EQ(ShellWords(quoted), expected);
}

TEST(ServiceKindTest, NamesRoundTrip) {
  for (const char* name : {"daemontools", "runit", "s6"}) {
    ASSERT_TRUE(ServiceKindNamed(name).has_value()) << name;
    EXPECT_STREQ(ServiceKindName(*ServiceKindNamed(name)), name);
  }
  EXPECT_FALSE(ServiceKindNamed("systemd").has_value());
  EXPECT_FALSE(ServiceKindNamed("").has_value());
}

TEST(EmbeddedTemplatesTest, AreTheFilesInServiceTemplates) {
  const fs::path dir = fs::path(SHOAL_SOURCE_DIR) / "service" / "templates";
  size_t on_disk = 0;
  for (const auto& entry : fs::recursive_directory_iterator(dir)) on_disk += entry.is_regular_file();
  EXPECT_EQ(std::size(kEmbeddedTemplates), on_disk);
  EXPECT_GE(on_disk, 11u);
  for (const EmbeddedTemplate& embedded : kEmbeddedTemplates) {
    EXPECT_EQ(embedded.text, ReadFile(dir / embedded.path)) << embedded.path;
  }
}

ServiceDirSpec Spec(ServiceKind kind, std::string user = "") {
  return {.dir = "/unused",
          .kind = kind,
          .user = user,
          .log_user = user,
          .program = "/opt/my shoal/shoal",
          .options = {"--app", "probe:app", "--bind", "unix:/tmp/a b.sock", "--workers", "8"},
          .force = false};
}

const ServiceFile* Find(const std::vector<ServiceFile>& files, const std::string& path) {
  for (const ServiceFile& file : files) {
    if (file.path == path) return &file;
  }
  return nullptr;
}

// The line of `text` starting "exec " after "exec 2>&1", or the last one.
std::string LastLine(const std::string& text) {
  std::string trimmed = text.substr(0, text.find_last_not_of('\n') + 1);
  return trimmed.substr(trimmed.rfind('\n') + 1);
}

TEST(RenderServiceDirTest, DaemontoolsRunsTheProgramWithQuotedOptionsAsTheUser) {
  auto files = RenderServiceDir(Spec(ServiceKind::kDaemontools, "www-data"));
  ASSERT_TRUE(files.ok()) << files.status().message();
  ASSERT_EQ(files.value().size(), 2u);
  const ServiceFile* run = Find(files.value(), "run");
  const ServiceFile* log = Find(files.value(), "log/run");
  ASSERT_TRUE(run && log);
  EXPECT_EQ(LastLine(run->text),
            "exec envdir ./env setuidgid www-data '/opt/my shoal/shoal' --app probe:app --bind "
            "'unix:/tmp/a b.sock' --workers 8");
  EXPECT_EQ(LastLine(log->text), "exec setuidgid www-data multilog t ./main");
  EXPECT_EQ(run->mode, 0755u);
  EXPECT_EQ(log->mode, 0755u);
  // The rest is the template's text: the comment header and `exec 2>&1`.
  std::string_view source;
  for (const EmbeddedTemplate& t : kEmbeddedTemplates) {
    if (t.path == "daemontools/run") source = t.text;
  }
  const size_t head = source.find("exec 2>&1\n") + 10;
  EXPECT_EQ(run->text.substr(0, head), source.substr(0, head));
  EXPECT_TRUE(run->text.starts_with("#!/bin/sh\n"));
}

TEST(RenderServiceDirTest, WithoutAUserTheSwitchIsDropped) {
  for (ServiceKind kind : {ServiceKind::kDaemontools, ServiceKind::kRunit, ServiceKind::kS6}) {
    auto files = RenderServiceDir(Spec(kind));
    ASSERT_TRUE(files.ok()) << files.status().message();
    const std::string run = LastLine(Find(files.value(), "run")->text);
    const std::string log = LastLine(Find(files.value(), "log/run")->text);
    EXPECT_EQ(run.find("setuidgid"), std::string::npos) << run;
    EXPECT_EQ(run.find("chpst"), std::string::npos) << run;
    EXPECT_EQ(run.find("www-data"), std::string::npos) << run;
    EXPECT_EQ(log.find("www-data"), std::string::npos) << log;
  }
  auto daemontools = RenderServiceDir(Spec(ServiceKind::kDaemontools));
  EXPECT_EQ(LastLine(Find(daemontools.value(), "log/run")->text), "exec multilog t ./main");
}

TEST(RenderServiceDirTest, RunitUsesChpstAndSvlogd) {
  ServiceDirSpec spec = Spec(ServiceKind::kRunit, "nobody");
  spec.log_user = "www-data";
  auto files = RenderServiceDir(spec);
  ASSERT_TRUE(files.ok()) << files.status().message();
  EXPECT_EQ(LastLine(Find(files.value(), "run")->text),
            "exec chpst -u nobody '/opt/my shoal/shoal' --app probe:app --bind "
            "'unix:/tmp/a b.sock' --workers 8");
  EXPECT_EQ(LastLine(Find(files.value(), "log/run")->text),
            "exec chpst -u www-data svlogd -tt ./main");
}

TEST(RenderServiceDirTest, S6PassesItsNotificationFdAsReadyFd) {
  auto files = RenderServiceDir(Spec(ServiceKind::kS6, "www-data"));
  ASSERT_TRUE(files.ok()) << files.status().message();
  ASSERT_EQ(files.value().size(), 3u);
  EXPECT_EQ(LastLine(Find(files.value(), "run")->text),
            "exec s6-setuidgid www-data '/opt/my shoal/shoal' --ready-fd 3 --app probe:app "
            "--bind 'unix:/tmp/a b.sock' --workers 8");
  const ServiceFile* fd = Find(files.value(), "notification-fd");
  ASSERT_NE(fd, nullptr);
  EXPECT_EQ(fd->text, "3\n");
  EXPECT_EQ(fd->mode, 0644u);
  EXPECT_EQ(FixedArguments(ServiceKind::kS6), (std::vector<std::string>{"--ready-fd", "3"}));
  EXPECT_TRUE(FixedArguments(ServiceKind::kRunit).empty());
  EXPECT_EQ(LastLine(Find(files.value(), "log/run")->text),
            "exec s6-setuidgid www-data s6-log t ./main");
}

TEST(RenderServiceDirTest, TheShellRunsTheOptionsAsGiven) {
  ServiceDirSpec spec = Spec(ServiceKind::kRunit);
  spec.program = "/usr/bin/printf";
  spec.options = {"%s|", "it's", "$HOME", "two words"};
  auto files = RenderServiceDir(spec);
  ASSERT_TRUE(files.ok());
  std::string line = LastLine(Find(files.value(), "run")->text);
  ASSERT_TRUE(line.starts_with("exec /usr/bin/printf ")) << line;
  EXPECT_EQ(ShellWords(line.substr(std::string("exec /usr/bin/printf ").size())),
            "%s||it's|$HOME|two words|");
}

TEST(WriteServiceDirTest, WritesTheFilesWithTheirModesAndTheLogDirectory) {
  TempDirectory temp;
  ServiceDirSpec spec = Spec(ServiceKind::kDaemontools);
  spec.dir = (temp.path() / "app").string();
  auto done = WriteServiceDir(spec);
  ASSERT_TRUE(done.ok()) << done.status().message();
  const fs::path dir = temp.path() / "app";
  EXPECT_EQ(ModeOf(dir / "run"), 0755u);
  EXPECT_EQ(ModeOf(dir / "log" / "run"), 0755u);
  EXPECT_TRUE(fs::is_directory(dir / "log" / "main"));
  EXPECT_TRUE(fs::is_directory(dir / "env"));
  EXPECT_EQ(ReadFile(dir / "run"), Find(RenderServiceDir(spec).value(), "run")->text);
  EXPECT_FALSE(fs::exists(dir / "run.new"));
  bool said_run = false;
  for (const std::string& line : done.value()) said_run |= line == "wrote " + (dir / "run").string();
  EXPECT_TRUE(said_run);
}

TEST(WriteServiceDirTest, RefusesADirectoryThatIsNotEmptyUnlessForced) {
  TempDirectory temp;
  std::ofstream(temp.path() / "keep") << "mine";
  ServiceDirSpec spec = Spec(ServiceKind::kS6);
  spec.dir = temp.path().string();
  auto refused = WriteServiceDir(spec);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.status().message(),
            temp.path().string() + " exists and is not empty (--force writes over it)");
  EXPECT_FALSE(fs::exists(temp.path() / "run"));
  spec.force = true;
  ASSERT_TRUE(WriteServiceDir(spec).ok());
  EXPECT_EQ(ReadFile(temp.path() / "notification-fd"), "3\n");
  EXPECT_EQ(ReadFile(temp.path() / "keep"), "mine");
  // An empty directory needs no --force.
  spec.dir = (temp.path() / "empty").string();
  spec.force = false;
  fs::create_directory(spec.dir);
  EXPECT_TRUE(WriteServiceDir(spec).ok());
}

TEST(WriteServiceDirTest, GivesLogMainToTheLogUserWhenRoot) {
  if (geteuid() != 0) GTEST_SKIP() << "needs root to chown";
  TempDirectory temp;
  ServiceDirSpec spec = Spec(ServiceKind::kRunit, "nobody");
  spec.dir = (temp.path() / "app").string();
  ASSERT_TRUE(WriteServiceDir(spec).ok());
  struct stat info {};
  ASSERT_EQ(stat((temp.path() / "app" / "log" / "main").c_str(), &info), 0);
  EXPECT_EQ(info.st_uid, getpwnam("nobody")->pw_uid);
}

TEST(CheckUserTest, KnowsRootAndNotAnInventedName) {
  EXPECT_TRUE(CheckUser("root").ok());
  Status missing = CheckUser("no-such-user-shoal");
  EXPECT_EQ(missing.message(), "no such user 'no-such-user-shoal'");
}

TEST(NextStepsTest, SaysWhatToLinkAndWhatTheUserNeeds) {
  ServiceDirSpec spec = Spec(ServiceKind::kDaemontools, "www-data");
  spec.dir = "/etc/shoal/app";
  std::vector<std::string> steps = NextSteps(spec);
  ASSERT_GE(steps.size(), 3u);
  EXPECT_TRUE(steps[0].starts_with("next: ln -s /etc/shoal/app /etc/service/")) << steps[0];
  bool socket_note = false;
  for (const std::string& step : steps) {
    socket_note |= step.find("socket's directory must be writable by www-data") != std::string::npos;
  }
  EXPECT_TRUE(socket_note);
}

}  // namespace
}  // namespace shoal::service
