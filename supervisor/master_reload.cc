// How the master reloads (HUP, USR2): it checks that the new image loads
// the app (ReloadPreflight) and only then re-executes in place (Reexec).
// A check that fails, hangs past its deadline or crashes refuses the reload
// with one line, and the current workers serve on: a reload never takes
// the service down. The check runs beside the loop, which goes on managing
// workers, parked connections and the stats socket meanwhile. Part of
// Master (see master.h); master process.
#include <signal.h>

#include <algorithm>
#include <chrono>
#include <cstring>
#include <utility>

#include <spdlog/spdlog.h>

#include "base/status.h"
#include "supervisor/master.h"
#include "supervisor/reexec.h"

namespace shoal::supervisor {
namespace {

using namespace std::chrono_literals;

// How long the new image may take to load the app: at least a minute (a
// large project's import, a cold disk), longer if --graceful-timeout is.
std::chrono::steady_clock::duration CheckLimit(std::chrono::duration<double> graceful_timeout) {
  return std::max<std::chrono::steady_clock::duration>(
      60s, std::chrono::duration_cast<std::chrono::steady_clock::duration>(graceful_timeout));
}

}  // namespace

// HUP and USR2: reload. The new image must first parse its options
// (check_reload, at once) and load the app (the check process, awaited in
// the loop); then the master re-executes in place and imports afresh.
void Master::HandleHup(int signal) {
  if (stopping_) return;
  // Inside a Python program (import shoal) there is no image to re-execute:
  // stop as TERM does and let run() tell its caller a reload was asked.
  if (config_.stop_on_hup) {
    reload_asked_ = true;
    HandleTerm(signal);
    return;
  }
  if (reload_check_) {
    spdlog::info("signal {} ({}): a reload check (pid {}) is already running; ignored", signal,
                 strsignal(signal), reload_check_->pid());
    return;
  }
  if (config_.program.empty()) {
    spdlog::warn("signal {} ({}): cannot re-execute, the program path is unknown", signal,
                 strsignal(signal));
    return;
  }
  // An edited config that no longer parses would make the new image exit 2
  // and take the service down with it: found out here, while the old image
  // can still serve.
  if (config_.check_reload) {
    if (Status parsed = config_.check_reload(); !parsed.ok()) {
      spdlog::error("signal {} ({}): reload refused: {}; serving on as before", signal,
                    strsignal(signal), parsed.message());
      return;
    }
  }
  Result<std::unique_ptr<ReloadPreflight>> started =
      ReloadPreflight::Start(config_.program, config_.argv, config_.start_dir, epoll_.get(),
                             CheckLimit(config_.graceful_timeout));
  if (!started.ok()) {
    spdlog::error("signal {} ({}): reload refused: cannot start the reload check: {}; serving "
                  "on as before",
                  signal, strsignal(signal), started.status().message());
    return;
  }
  reload_check_ = std::move(started).value();
  reload_signal_ = signal;
  spdlog::info("signal {} ({}): checking that the new image loads the app (pid {}) before "
               "re-executing",
               signal, strsignal(signal), reload_check_->pid());
}

void Master::OnReloadCheckReport() {
  if (!reload_verdict_) reload_verdict_ = reload_check_->OnReadable();
}

// ReapWorkers found a child that is no worker: the check, if it is ours.
void Master::NoteOtherChildExited(pid_t pid, int status) {
  if (!reload_check_ || pid != reload_check_->pid()) return;
  PreflightVerdict verdict = reload_check_->Exited(status);
  if (!reload_verdict_) reload_verdict_ = std::move(verdict);
}

// Once per loop: a stop drops the check; its deadline kills it; its
// verdict, once in, either re-executes or refuses the reload.
void Master::AdvanceReloadCheck() {
  if (!reload_check_) return;
  const int signal = reload_signal_;
  if (stopping_) {
    spdlog::info("reload check (pid {}) dropped: stopping", reload_check_->pid());
    reload_check_.reset();
    reload_verdict_.reset();
    source_changed_during_check_ = false;
    return;
  }
  if (!reload_verdict_) reload_verdict_ = reload_check_->Expire(Clock::now());
  if (!reload_verdict_) return;
  const PreflightVerdict verdict = std::move(*reload_verdict_);
  reload_verdict_.reset();
  reload_check_.reset();  // killed if it still runs, and reaped
  // Passed, the new image imports the files as they are by then, later
  // edits included.
  const bool check_again = std::exchange(source_changed_during_check_, false);
  if (!verdict.ok) {
    spdlog::error("signal {} ({}): reload refused: {}; serving on as before", signal,
                  strsignal(signal), verdict.reason);
    if (check_again) {
      spdlog::info("a source file changed during that check: checking the files again");
      HandleHup(signal);
    }
    return;
  }
  Reexecute(signal);
}

// The check passed: re-execute in place; returns only if execv failed.
void Master::Reexecute(int signal) {
  spdlog::info("signal {} ({}): re-executing {} in place: the app is imported afresh, "
               "the workers replaced",
               signal, strsignal(signal), config_.program);
  ReexecHandover handover{.listen_fd = config_.listen_fd,
                          .stats_fd = stats_ ? stats_->listen_fd() : -1,
                          .old_lifeline_fd = lifeline_write_.get(),
                          .ready_fd = config_.readiness.pending_fd(),
                          .channels = &broker_->channels(),
                          .parked = broker_->TakeAll(),
                          .start_dir = config_.start_dir};
  // Workers of an image before this one, if a reload is still under way, go now.
  handover_.old_lifeline.Reset();
  const bool was_ready = config_.readiness.told_ready();
  config_.readiness.Reloading();
  Status failed = Reexec(config_.program, config_.argv, handover);
  spdlog::error("{}; carrying on as before", failed.message());
  if (was_ready) config_.readiness.Ready("reload failed; serving as before");
  for (HandedConnection& parked : handover.parked) broker_->Park(std::move(parked));
}

}  // namespace shoal::supervisor
