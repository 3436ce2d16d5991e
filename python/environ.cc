#include "python/environ.h"

#include <charconv>

#include "python/file_wrapper.h"

namespace shoal::python {
namespace {

// The cache of interned keys stops growing here (a front end sending
// ever-new header names must not grow a worker without bound).
constexpr size_t kMaxCachedKeys = 512;
// Param positions remembered, and the longest value kept per position: at
// most 128 * 256 bytes of values held between requests.
constexpr size_t kMaxMemos = 128;
constexpr size_t kMaxMemoValue = 256;
// The template's room: enough for nginx's params and a browser's headers to
// start with, grown (up to the last bound) when an environ outgrows it.
constexpr Py_ssize_t kInitialRoom = 48;
constexpr Py_ssize_t kMaxRoom = 512;

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

PyRef Latin1(std::string_view text) {
  return PyRef::Steal(
      PyUnicode_DecodeLatin1(text.data(), static_cast<Py_ssize_t>(text.size()), nullptr));
}

bool IsOn(std::string_view value) {
  return value == "on" || value == "ON" || value == "On" || value == "1" || value == "yes";
}

// The path of a request target: "/a/b" from "/a/b?q", and from the
// absolute form "http://host/a/b?q".
std::string_view TargetPath(std::string_view target) {
  target = target.substr(0, target.find('?'));
  size_t scheme = target.find("://");
  if (scheme != std::string_view::npos && target.find('/') > scheme) {
    size_t path = target.find('/', scheme + 3);
    return path == std::string_view::npos ? std::string_view("/") : target.substr(path);
  }
  return target;
}

// The host part of a Host header: "example.com" from "example.com:8080",
// "::1" from "[::1]:8080".
std::string_view HostOf(std::string_view host) {
  if (host.starts_with("[")) {
    size_t close = host.find(']');
    return close == std::string_view::npos ? host : host.substr(1, close - 1);
  }
  return host.substr(0, host.find(':'));
}

}  // namespace

std::string PercentDecode(std::string_view path) {
  std::string out;
  out.reserve(path.size());
  for (size_t i = 0; i < path.size(); ++i) {
    if (path[i] == '%' && i + 2 < path.size() && HexValue(path[i + 1]) >= 0 && HexValue(path[i + 2]) >= 0) {
      out.push_back(static_cast<char>(HexValue(path[i + 1]) * 16 + HexValue(path[i + 2])));
      i += 2;
    } else {
      out.push_back(path[i]);
    }
  }
  return out;
}

std::optional<size_t> MatchMount(const std::vector<std::string>& prefixes, std::string_view path) {
  std::optional<size_t> best;
  for (size_t i = 0; i < prefixes.size(); ++i) {
    const std::string& prefix = prefixes[i];
    bool inside = path.starts_with(prefix) &&
                  (path.size() == prefix.size() || path[prefix.size()] == '/');
    if (inside && (!best || prefix.size() > prefixes[*best].size())) best = i;
  }
  return best;
}

EnvironBuilder::EnvironBuilder(std::vector<std::string> prefixes, const EnvironExtras& extras)
    : prefixes_(std::move(prefixes)), strip_authorization_(extras.strip_authorization) {
  for (const auto& [name, value] : extras.vars) {
    PyRef key = Key(name);
    PyRef text = Latin1(value);
    if (key && text) {
      extra_vars_.emplace_back(std::move(key), std::move(text));
    } else {
      PyErr_Clear();
    }
  }
  key_input_ = Key("wsgi.input");
  key_errors_ = Key("wsgi.errors");
  key_url_scheme_ = Key("wsgi.url_scheme");
  http_ = Latin1("http");
  https_ = Latin1("https");
  MakeTemplate(kInitialRoom);
}

void EnvironBuilder::MakeTemplate(Py_ssize_t entries) {
  // PyDict_Copy of a dict without deleted entries copies its key table
  // whole, room included: every environ starts with room for `entries`.
  template_ = PyRef::Steal(_PyDict_NewPresized(entries));
  template_room_ = entries;
  PyRef version = PyRef::Steal(Py_BuildValue("(ii)", 1, 0));
  PyObject* file_wrapper = FileWrapperType();
  if (file_wrapper == nullptr) PyErr_Clear();
  SetObject(template_.get(), "wsgi.version", version.get());
  SetObject(template_.get(), "wsgi.multithread", Py_False);
  SetObject(template_.get(), "wsgi.multiprocess", Py_True);
  SetObject(template_.get(), "wsgi.run_once", Py_False);
  SetObject(template_.get(), "wsgi.input_terminated", Py_True);
  if (file_wrapper != nullptr) SetObject(template_.get(), "wsgi.file_wrapper", file_wrapper);
}

bool EnvironBuilder::SetInput(PyObject* environ, PyObject* input) {
  return PyDict_SetItem(environ, key_input_.get(), input) == 0;
}

bool EnvironBuilder::SetObject(PyObject* environ, std::string_view name, PyObject* value) {
  PyRef key = Key(name);
  return key && value != nullptr && PyDict_SetItem(environ, key.get(), value) == 0;
}

PyRef EnvironBuilder::Key(std::string_view name) {
  auto found = keys_.find(name);
  if (found != keys_.end()) return PyRef::Borrow(found->second.get());
  PyObject* key = PyUnicode_DecodeLatin1(name.data(), static_cast<Py_ssize_t>(name.size()), nullptr);
  if (key == nullptr) return PyRef();
  PyUnicode_InternInPlace(&key);
  PyRef owned = PyRef::Steal(key);
  if (keys_.size() < kMaxCachedKeys) keys_.emplace(std::string(name), PyRef::Borrow(key));
  return owned;
}

bool EnvironBuilder::Set(PyObject* environ, std::string_view name, std::string_view value) {
  PyRef key = Key(name);
  PyRef text = Latin1(value);
  return key && text && PyDict_SetItem(environ, key.get(), text.get()) == 0;
}

EnvironBuilder::Built EnvironBuilder::OutsideMounts(Built built, const std::string& path) const {
  std::string mounts;
  for (const std::string& prefix : prefixes_) {
    mounts += (mounts.empty() ? "'" : ", '") + (prefix.empty() ? "/" : prefix) + "'";
  }
  built.refusal_status = 404;
  built.refusal = "path '" + path + "' is outside the mount point" +
                  (prefixes_.size() > 1 ? "s " : " ") + mounts;
  return built;
}

bool EnvironBuilder::AddParam(PyObject* environ, size_t position, std::string_view name,
                              std::string_view value) {
  const bool header = name.starts_with("HTTP_");
  if (header &&
      (name == "HTTP_CONTENT_TYPE" || name == "HTTP_CONTENT_LENGTH" || name == "HTTP_PROXY")) {
    return true;  // CGI removes the first two; the last is httpoxy
  }
  if (header && strip_authorization_ && name == "HTTP_AUTHORIZATION") return true;
  PyRef key, text;
  if (position < kMaxMemos) {
    if (position >= memos_.size()) memos_.resize(position + 1);
    ParamMemo& memo = memos_[position];
    if (!memo.key || memo.name != name) {
      memo.key = Key(name);
      if (!memo.key) return false;
      memo.name.assign(name);
      memo.text = PyRef();
    }
    if (!memo.text || memo.value != value) {
      memo.text = value.size() <= kMaxMemoValue ? Latin1(value) : PyRef();
      if (memo.text) memo.value.assign(value);
    }
    key = PyRef::Borrow(memo.key.get());
    text = memo.text ? PyRef::Borrow(memo.text.get()) : Latin1(value);
  } else {
    key = Key(name);
    text = Latin1(value);
  }
  if (!key || !text) return false;
  if (!header) return PyDict_SetItem(environ, key.get(), text.get()) == 0;

  // A header sent twice: join, never keep only one copy. (The size tells
  // whether SetDefault inserted: the same str object may already be there,
  // as Python shares one-character strs.)
  const Py_ssize_t before = PyDict_GET_SIZE(environ);
  PyObject* earlier = PyDict_SetDefault(environ, key.get(), text.get());  // borrowed
  if (earlier == nullptr) return false;
  if (PyDict_GET_SIZE(environ) > before) return true;
  const char* separator = name == "HTTP_COOKIE" ? "; " : ", ";
  PyRef joined = PyRef::Steal(PyUnicode_FromFormat("%U%s%U", earlier, separator, text.get()));
  return joined && PyDict_SetItem(environ, key.get(), joined.get()) == 0;
}

bool EnvironBuilder::SetContentLength(PyObject* environ, uint64_t length) {
  return Set(environ, "CONTENT_LENGTH", std::to_string(length));
}

EnvironBuilder::Built EnvironBuilder::Build(std::span<const protocols::Param> params,
                                            PyObject* errors) {
  Built built;
  PyRef environ = PyRef::Steal(PyDict_Copy(template_.get()));
  if (!environ) return built;
  PyObject* env = environ.get();

  // The params this builder reads as well as copies.
  std::optional<std::string_view> path_info;
  std::string_view script_name, request_uri, document_uri, https, request_scheme, content_length;
  std::string_view server_name, server_port, server_addr, http_host;
  bool content_length_seen = false;
  for (size_t position = 0; position < params.size(); ++position) {
    const protocols::Param& param = params[position];
    std::string_view name = param.name;
    if (!AddParam(env, position, name, param.value)) return built;
    if (name.starts_with("HTTP_")) {
      if (name == "HTTP_HOST" && http_host.empty()) http_host = param.value;
      continue;
    }
    if (name == "REQUEST_METHOD") built.head_request = param.value == "HEAD";
    if (name == "PATH_INFO") path_info = param.value;
    if (name == "SCRIPT_NAME") script_name = param.value;
    if (name == "REQUEST_URI") request_uri = param.value;
    if (name == "DOCUMENT_URI") document_uri = param.value;
    if (name == "HTTPS") https = param.value;
    if (name == "REQUEST_SCHEME") request_scheme = param.value;
    if (name == "CONTENT_LENGTH") {
      // Two lengths: which frames the body? SCGI's netstring reader takes
      // the first; refuse rather than let the app see another.
      if (content_length_seen) {
        built.refusal_status = 400;
        built.refusal = "CONTENT_LENGTH sent twice ('" + std::string(content_length) + "', '" +
                        std::string(param.value) + "')";
        return built;
      }
      content_length_seen = true;
      content_length = param.value;
    }
    if (name == "SERVER_NAME") server_name = param.value;
    if (name == "SERVER_PORT") server_port = param.value;
    if (name == "SERVER_ADDR") server_addr = param.value;
  }

  // PEP 3333: SERVER_NAME and SERVER_PORT are never empty. nginx sends an
  // empty $server_name from a server block without server_name.
  bool secure = IsOn(https) || request_scheme == "https";
  if (server_name.empty()) {
    std::string_view fallback = HostOf(http_host);
    if (fallback.empty()) fallback = server_addr;
    if (fallback.empty()) fallback = "localhost";
    if (!Set(env, "SERVER_NAME", fallback)) return built;
  }
  if (server_port.empty() && !Set(env, "SERVER_PORT", secure ? "443" : "80")) return built;

  if (!content_length.empty()) {
    int64_t length = -1;
    const char* last = content_length.data() + content_length.size();
    auto [end, err] = std::from_chars(content_length.data(), last, length);
    if (err != std::errc() || end != last || length < 0) {
      built.refusal_status = 400;
      built.refusal = "invalid CONTENT_LENGTH '" + std::string(content_length) + "'";
      return built;
    }
    built.content_length = length;
  }

  if (!path_info) {
    // Stock nginx params: split REQUEST_URI's path at the mount point.
    std::string path = PercentDecode(request_uri.empty() ? document_uri : TargetPath(request_uri));
    std::optional<size_t> mount = MatchMount(prefixes_, path);
    if (!mount) return OutsideMounts(std::move(built), path);
    built.mount = *mount;
    const std::string& prefix = prefixes_[*mount];
    if (!Set(env, "SCRIPT_NAME", prefix) ||
        !Set(env, "PATH_INFO", std::string_view(path).substr(prefix.size()))) {
      return built;
    }
  } else if (prefixes_.size() > 1) {
    // The front end split the path itself (lighttpd, fastcgi_split_path_info):
    // route on the whole path. A mount deeper than the front end's
    // SCRIPT_NAME splits again, so that app sees itself mounted where it is.
    std::string path = std::string(script_name) + std::string(*path_info);
    std::optional<size_t> mount = MatchMount(prefixes_, path);
    if (!mount) return OutsideMounts(std::move(built), path);
    built.mount = *mount;
    const std::string& prefix = prefixes_[*mount];
    if (prefix.size() > script_name.size() &&
        (!Set(env, "SCRIPT_NAME", prefix) ||
         !Set(env, "PATH_INFO", std::string_view(path).substr(prefix.size())))) {
      return built;
    }
  }

  if (PyDict_SetItem(env, key_url_scheme_.get(), secure ? https_.get() : http_.get()) != 0 ||
      PyDict_SetItem(env, key_errors_.get(), errors) != 0) {
    return built;
  }
  for (const auto& [key, value] : extra_vars_) {
    if (PyDict_SetItem(env, key.get(), value.get()) != 0) return built;
  }
  // Room for wsgi.input, and whatever an app or middleware adds.
  if (PyDict_GET_SIZE(env) + 4 > template_room_ && template_room_ < kMaxRoom) {
    MakeTemplate(std::min(kMaxRoom, PyDict_GET_SIZE(env) + 16));
  }
  built.environ = std::move(environ);
  return built;
}

}  // namespace shoal::python
