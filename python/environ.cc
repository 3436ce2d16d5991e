#include "python/environ.h"

#include <charconv>

#include "python/file_wrapper.h"

namespace shoal::python {
namespace {

// The cache of interned keys stops growing here (a front end sending
// ever-new header names must not grow a worker without bound).
constexpr size_t kMaxCachedKeys = 512;

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

EnvironBuilder::EnvironBuilder(std::string script_name) : script_name_(std::move(script_name)) {
  template_ = PyRef::Steal(PyDict_New());
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

EnvironBuilder::Built EnvironBuilder::Build(std::span<const protocols::Param> params,
                                            PyObject* errors) {
  Built built;
  PyRef environ = PyRef::Steal(PyDict_Copy(template_.get()));
  if (!environ) return built;
  PyObject* env = environ.get();

  bool have_path_info = false;
  std::string_view request_uri;
  std::string_view document_uri;
  std::string_view https;
  std::string_view request_scheme;
  std::string_view content_length;
  for (const protocols::Param& param : params) {
    std::string_view name = param.name;
    if (name.starts_with("HTTP_")) {
      if (name == "HTTP_CONTENT_TYPE" || name == "HTTP_CONTENT_LENGTH" || name == "HTTP_PROXY") {
        continue;
      }
      PyRef key = Key(name);
      if (!key) return built;
      PyObject* earlier = PyDict_GetItemWithError(env, key.get());  // borrowed
      if (earlier != nullptr) {
        // A header sent twice: join, never keep only one copy.
        const char* separator = name == "HTTP_COOKIE" ? "; " : ", ";
        PyRef value = Latin1(param.value);
        PyRef joined = value ? PyRef::Steal(PyUnicode_FromFormat("%U%s%U", earlier, separator,
                                                                 value.get()))
                             : PyRef();
        if (!joined || PyDict_SetItem(env, key.get(), joined.get()) != 0) return built;
        continue;
      }
      if (PyErr_Occurred()) return built;
      if (!Set(env, name, param.value)) return built;
      continue;
    }
    if (name == "PATH_INFO") have_path_info = true;
    else if (name == "REQUEST_URI") request_uri = param.value;
    else if (name == "DOCUMENT_URI") document_uri = param.value;
    else if (name == "HTTPS") https = param.value;
    else if (name == "REQUEST_SCHEME") request_scheme = param.value;
    else if (name == "CONTENT_LENGTH") content_length = param.value;
    if (!Set(env, name, param.value)) return built;
  }

  if (!content_length.empty()) {
    int64_t length = -1;
    auto [end, err] = std::from_chars(content_length.data(),
                                      content_length.data() + content_length.size(), length);
    if (err != std::errc() || end != content_length.data() + content_length.size() ||
        length < 0) {
      built.refusal_status = 400;
      built.refusal = "invalid CONTENT_LENGTH '" + std::string(content_length) + "'";
      return built;
    }
    built.content_length = length;
  }

  if (!have_path_info) {
    std::string path = PercentDecode(
        request_uri.empty() ? document_uri : TargetPath(request_uri));
    std::string_view rest = path;
    if (!script_name_.empty()) {
      if (!rest.starts_with(script_name_) ||
          (rest.size() > script_name_.size() && rest[script_name_.size()] != '/')) {
        built.refusal_status = 404;
        built.refusal = "path '" + path + "' is outside the mount point '" + script_name_ + "'";
        return built;
      }
      rest.remove_prefix(script_name_.size());
    }
    if (!Set(env, "SCRIPT_NAME", script_name_) || !Set(env, "PATH_INFO", rest)) {
      return built;
    }
  }

  bool secure = IsOn(https) || request_scheme == "https";
  if (!Set(env, "wsgi.url_scheme", secure ? "https" : "http") ||
      !SetObject(env, "wsgi.errors", errors)) {
    return built;
  }
  built.environ = std::move(environ);
  return built;
}

}  // namespace shoal::python
