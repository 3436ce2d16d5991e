#include "python/wsgi_call.h"

#include <chrono>

#include <spdlog/spdlog.h>

#include "python/file_wrapper.h"
#include "python/input_stream.h"
#include "python/interpreter.h"
#include "python/log_stream.h"
#include "python/response.h"
#include "python/start_response.h"

namespace shoal::python {
namespace {

constexpr std::string_view kInternalError = "Internal Server Error\n";

// The answer to a body over --max-body-size, wherever that is found.
void SendTooLarge(Response& response) {
  response.SendError("413 Request Entity Too Large", "Request Entity Too Large\n");
}

// Calls iterable.close() if it has one; a failure there is logged.
void CloseIterable(PyObject* iterable, const std::string& request_line) {
  // The usual body, a list (or tuple, or bytes), has no close(): asking
  // would build and drop an AttributeError every request.
  if (PyList_CheckExact(iterable) || PyTuple_CheckExact(iterable) ||
      PyBytes_CheckExact(iterable)) {
    return;
  }
  PyRef close = PyRef::Steal(PyObject_GetAttrString(iterable, "close"));
  if (!close) {
    PyErr_Clear();
    return;
  }
  PyRef result = PyRef::Steal(PyObject_CallNoArgs(close.get()));
  if (!result) {
    spdlog::error("{}: exception in the response's close()\n{}", request_line,
                  FormatAndClearException());
  }
}

// Sends every chunk the iterable yields (or, for a wsgi.file_wrapper over a
// regular file, the file itself). With `stop_at_empty` (--head-skip-body, a
// HEAD request), stops at the first empty chunk once start_response was
// called. Returns false with a Python error set if the app (or the front
// end) failed.
bool SendBody(PyObject* iterable, Response& response, bool stop_at_empty) {
  if (std::optional<FileSource> file = RegularFileOf(iterable); file && response.started() &&
                                                              response.body_bytes() == 0) {
    return response.SendFile(file->fd, file->offset, file->size);
  }
  PyRef iterator = PyRef::Steal(PyObject_GetIter(iterable));
  if (!iterator) return false;
  // A list or tuple holds every block already: nothing waits on the app, so
  // blocks may share a write. Anything else (a generator) may take its time
  // over the next block, so what it yielded goes out first (PEP 3333).
  const bool all_ready = PyList_CheckExact(iterable) || PyTuple_CheckExact(iterable);
  bool first = true;
  for (;;) {
    if (!first && !all_ready && (!response.Flush() || response.PeerAborted())) return false;
    first = false;
    PyRef chunk = PyRef::Steal(PyIter_Next(iterator.get()));
    if (!chunk) break;
    if (!PyBytes_Check(chunk.get())) {
      PyErr_Format(PyExc_TypeError, "the app yielded %s, not bytes: %R",
                   Py_TYPE(chunk.get())->tp_name, chunk.get());
      return false;
    }
    std::string_view data(PyBytes_AS_STRING(chunk.get()),
                          static_cast<size_t>(PyBytes_GET_SIZE(chunk.get())));
    // The app says the headers are final; a HEAD response needs no more.
    if (stop_at_empty && data.empty() && response.started()) break;
    if (!response.Send(data)) return false;
  }
  return !PyErr_Occurred();
}

}  // namespace

namespace {

std::vector<std::string> Prefixes(const std::vector<MountedApp>& apps) {
  std::vector<std::string> prefixes;
  for (const MountedApp& mounted : apps) prefixes.push_back(mounted.prefix);
  return prefixes;
}

}  // namespace

WsgiGateway::WsgiGateway(std::vector<MountedApp> apps, GatewayConfig config, RequestHooks hooks)
    : apps_(std::move(apps)),
      config_(std::move(config)),
      hooks_(std::move(hooks)),
      environ_builder_(Prefixes(apps_), config_.environ),
      errors_(NewLogStream(spdlog::level::err, 2, "wsgi.errors")) {}

void WsgiGateway::BeginIdle() { idle_.emplace(); }

void WsgiGateway::EndIdle() { idle_.reset(); }

void WsgiGateway::ReloadApp() {
  if (!config_.reload) return;
  Result<LoadedApps> loaded = config_.reload();
  if (PyErr_Occurred()) PyErr_Clear();
  if (!loaded.ok()) {
    spdlog::error("the app's source changed, but it no longer loads; serving the app loaded "
                  "before: {}",
                  loaded.status().message());
    return;
  }
  apps_ = std::move(loaded.value().apps);
  hooks_ = std::move(loaded.value().hooks);
  spdlog::info("the app's source changed: app loaded afresh");
}

protocols::Handled WsgiGateway::Handle(protocols::Exchange& exchange) {
  const auto began = std::chrono::steady_clock::now();
  std::string request_line = protocols::RequestLine(exchange.params());
  Finished finished;
  protocols::Handled handled = Run(exchange, request_line, finished);
  if (hooks_.after_request && finished.environ) {
    const std::chrono::duration<double> seconds = std::chrono::steady_clock::now() - began;
    CallAfterRequest(hooks_, finished.environ.get(), finished.status, handled.body_bytes,
                     seconds.count(), request_line);
  }
  FlushLogStreams();
  FlushLogStream(errors_.get());
  if (PyErr_Occurred()) PyErr_Clear();  // never carried into the next request
  return handled;
}

protocols::Handled WsgiGateway::Run(protocols::Exchange& exchange,
                                    const std::string& request_line, Finished& finished) {
  EnvironBuilder::Built built = environ_builder_.Build(exchange.params(), errors_.get());
  Response response(exchange, built.head_request);
  if (built.environ) finished.environ = PyRef::Borrow(built.environ.get());
  // Every way out says what the response carried, for the access log.
  auto ended = [&response, &finished](protocols::Outcome outcome) {
    finished.status = response.status();
    return protocols::Handled{.outcome = outcome,
                              .status = response.status_code(),
                              .body_bytes = response.body_bytes()};
  };
  if (!built.environ) {
    if (built.refusal_status == 0) {
      spdlog::error("{}: cannot build the environ\n{}", request_line, FormatAndClearException());
      response.SendError("500 Internal Server Error", kInternalError);
      return ended(protocols::Outcome::kAppFailed);
    } else if (built.refusal_status == 404) {
      spdlog::info("{}: 404, {}", request_line, built.refusal);
      response.SendError("404 Not Found", "Not Found\n");
    } else {
      spdlog::warn("{}: 400, {}", request_line, built.refusal);
      response.SendError("400 Bad Request", "Bad Request\n");
    }
    return ended(protocols::Outcome::kServed);
  }

  protocols::SpooledBody spooled;
  if (std::optional<protocols::Outcome> answered =
          PrepareBody(exchange, built, spooled, response, request_line)) {
    return ended(*answered);
  }
  protocols::BodyReader* body = spooled.size() > 0 ? static_cast<protocols::BodyReader*>(&spooled)
                                                   : &exchange;
  PyRef input = NewInputStream(body, built.content_length, config_.spool.max_size);
  PyRef start_response = NewStartResponse(&response);
  bool ok = input && start_response &&
            environ_builder_.SetInput(built.environ.get(), input.get());
  PyRef result;
  PyObject* app = apps_[built.mount].app.get();
  PyRef instead;  // what --on-request answered with, if anything
  const char* failed_in = "the app";
  if (ok && hooks_.on_request) {
    Result<PyRef> answer = CallOnRequest(hooks_, built.environ.get());
    if (!answer.ok()) {
      ok = false;
      failed_in = "--on-request";
    } else if (answer.value()) {
      instead = std::move(answer).value();
      app = instead.get();
    }
  }
  if (ok) {
    result = PyRef::Steal(
        PyObject_CallFunctionObjArgs(app, built.environ.get(), start_response.get(), nullptr));
    ok = result &&
         SendBody(result.get(), response, config_.head_skip_body && built.head_request) &&
         response.Complete(request_line);
  }

  // Whatever happened, the exception (if any) is taken before close() runs.
  std::string failure;
  if (!ok) {
    failure = response.client_gone() ? DescribeAndClearException() : FormatAndClearException();
  }
  if (result) CloseIterable(result.get(), request_line);
  DetachInputStream(input.get());
  DetachStartResponse(start_response.get());
  if (ok) return ended(protocols::Outcome::kServed);

  if (response.client_gone()) {
    spdlog::info("{}: client went away ({})", request_line, failure);
    response.Abort();
    return ended(protocols::Outcome::kClientGone);
  }
  if (!response.headers_sent() && InputStreamOverLimit(input.get())) {
    // A body streamed without a length (--no-spool-chunked) ran past the
    // limit, and the app let wsgi.input's error through.
    spdlog::warn("{}: 413, request body over --max-body-size ({} bytes)", request_line,
                 config_.spool.max_size);
    SendTooLarge(response);
    return ended(protocols::Outcome::kServed);
  }
  if (!response.headers_sent()) {
    spdlog::error("{}: 500, exception in {}\n{}", request_line, failed_in, failure);
    response.SendError("500 Internal Server Error",
                       config_.debug ? failure + "\n" : std::string(kInternalError));
  } else {
    spdlog::error("{}: exception after the response started; response aborted\n{}",
                  request_line, failure);
    response.Abort();
  }
  return ended(protocols::Outcome::kAppFailed);
}

std::optional<protocols::Outcome> WsgiGateway::PrepareBody(protocols::Exchange& exchange,
                                                         EnvironBuilder::Built& built,
                                                         protocols::SpooledBody& spooled,
                                                         Response& response,
                                                         const std::string& request_line) {
  const uint64_t max_size = config_.spool.max_size;
  if (built.content_length >= 0) {
    if (max_size == 0 || static_cast<uint64_t>(built.content_length) <= max_size) {
      return std::nullopt;
    }
    spdlog::warn("{}: 413, CONTENT_LENGTH {} is over --max-body-size ({} bytes)", request_line,
                 built.content_length, max_size);
    SendTooLarge(response);
    return protocols::Outcome::kServed;
  }
  if (!config_.spool_chunked) return std::nullopt;
  switch (spooled.Fill(exchange, config_.spool)) {
    case protocols::SpooledBody::Failure::kNone:
      break;
    case protocols::SpooledBody::Failure::kTooLarge:
      spdlog::warn("{}: 413, {}", request_line, spooled.error());
      SendTooLarge(response);
      return protocols::Outcome::kServed;
    case protocols::SpooledBody::Failure::kReadFailed:
      spdlog::info("{}: client went away while its body was read ({})", request_line,
                   spooled.error());
      response.Abort();
      return protocols::Outcome::kClientGone;
    case protocols::SpooledBody::Failure::kSpoolFailed:
      spdlog::error("{}: 500, cannot spool the request body: {}", request_line, spooled.error());
      response.SendError("500 Internal Server Error", kInternalError);
      return protocols::Outcome::kAppFailed;
  }
  // An empty body leaves the environ as the front end sent it.
  if (spooled.size() == 0) return std::nullopt;
  if (!environ_builder_.SetContentLength(built.environ.get(), spooled.size())) {
    spdlog::error("{}: cannot build the environ\n{}", request_line, FormatAndClearException());
    response.SendError("500 Internal Server Error", kInternalError);
    return protocols::Outcome::kAppFailed;
  }
  built.content_length = static_cast<int64_t>(spooled.size());
  return std::nullopt;
}

}  // namespace shoal::python
