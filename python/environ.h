// EnvironBuilder: the WSGI environ for one request, from the front end's
// CGI params (PEP 3333, CGI/1.1).
//
// Every param becomes a latin-1 str. HTTP_CONTENT_TYPE, HTTP_CONTENT_LENGTH
// (nginx sends both; CGI removes them) and HTTP_PROXY (httpoxy) are left
// out; a header sent twice is joined (", ", cookies with "; "). Mounting:
// when the front end sends PATH_INFO, its SCRIPT_NAME and PATH_INFO are
// honoured; otherwise both come from REQUEST_URI's path (percent-decoded)
// with the mount prefix removed at a segment boundary. With several mounts
// the longest matching prefix picks the app.
//
// Made once per worker (keys interned, constant entries in a template dict
// copied per request). REQUIRES: the GIL for every call.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "protocols/exchange.h"
#include "python/py_ref.h"

namespace shoal::python {

// Percent-decodes a URL path; a '%' not followed by two hex digits is kept.
std::string PercentDecode(std::string_view path);

// The index of the longest of `prefixes` that `path` lies under, matching
// whole segments ("/blog" holds "/blog" and "/blog/x", not "/blog2"; ""
// holds everything), or nullopt if none does.
std::optional<size_t> MatchMount(const std::vector<std::string>& prefixes, std::string_view path);

class EnvironBuilder {
 public:
  // `prefixes` are the mount points, each "" or "/prefix" without a
  // trailing '/'. REQUIRES: not empty.
  explicit EnvironBuilder(std::vector<std::string> prefixes);

  struct Built {
    PyRef environ;            // null when the request is refused
    int refusal_status = 0;   // 404 (outside the mount) or 400 (bad CONTENT_LENGTH)
    std::string refusal;      // why, for the log
    int64_t content_length = -1;  // -1 when absent or empty
    size_t mount = 0;             // which prefix the request is under
  };

  // Builds the environ. `errors` is wsgi.errors; wsgi.input is set later by
  // the caller with SetInput. On a Python failure returns a null environ with
  // a Python exception set and refusal_status 0.
  Built Build(std::span<const protocols::Param> params, PyObject* errors);

 private:
  // Transparent lookup, so a string_view finds a cached key without a copy.
  struct StringHash {
    using is_transparent = void;
    size_t operator()(std::string_view s) const { return std::hash<std::string_view>()(s); }
  };

  Built OutsideMounts(Built built, const std::string& path) const;
  // Adds one HTTP_* param, by the rules above. False with a Python error set.
  bool AddHeader(PyObject* environ, std::string_view name, std::string_view value);
  PyRef Key(std::string_view name);  // interned; cached up to a bound
  bool Set(PyObject* environ, std::string_view name, std::string_view value);
  bool SetObject(PyObject* environ, std::string_view name, PyObject* value);

  std::vector<std::string> prefixes_;
  PyRef template_;
  std::unordered_map<std::string, PyRef, StringHash, std::equal_to<>> keys_;
};

}  // namespace shoal::python
