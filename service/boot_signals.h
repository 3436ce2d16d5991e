// Boot signals: what TERM, INT and QUIT do before the master's loop runs.
//
// Importing a large app can take seconds, and a supervisor may stop shoal
// meanwhile (`svc -d`, systemd's stop). Left at their default, these
// signals would kill the master with no log line, exit status 143, and the
// unix socket file left behind. Between StopOnSignalsWhileBooting and
// EndBootSignals they instead end the process at once, cleanly: one log
// line, the socket file and pidfile removed, exit 0; nothing is being served yet, so
// there is nothing to finish. Master process only.
#pragma once

#include <string>

namespace shoal::service {

// Installs the handlers. `socket_file`: the unix socket file to remove, or
// "" for none; `pidfile` likewise. The log line is made now, so the handler
// only writes it.
void StopOnSignalsWhileBooting(const std::string& socket_file, const std::string& pidfile = "");

// Puts the default actions back, if StopOnSignalsWhileBooting installed
// its handlers (else leaves the dispositions as they are). Call once the
// signals are blocked (the master reads them from a signalfd from then
// on), so none is lost.
void EndBootSignals();

}  // namespace shoal::service
