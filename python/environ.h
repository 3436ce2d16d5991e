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
// Made once per worker and reused for every request, which is what makes it
// cheap (about a third of a hello request's instructions were here): keys
// are interned once; the constant entries sit in a template dict, presized
// for a whole environ, that is copied per request (one memcpy, no resizing);
// and each param position remembers its last name and value, since a front
// end sends the same params in the same order every time and many values
// repeat (SERVER_PROTOCOL, REQUEST_METHOD, HTTP_HOST...), so most keys and
// many values are found with one comparison and shared (str is immutable).
// REQUIRES: the GIL for every call.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
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

// What shoal adds to, or leaves out of, every environ.
struct EnvironExtras {
  // --wsgi-var: set last, over the front end's params and shoal's own
  // entries (wsgi.url_scheme=https behind a proxy that ends TLS), as latin-1
  // strs of the bytes given.
  std::vector<std::pair<std::string, std::string>> vars = {};
  // --strip-authorization: HTTP_AUTHORIZATION is left out.
  bool strip_authorization = false;
};

class EnvironBuilder {
 public:
  // `prefixes` are the mount points, each "" or "/prefix" without a
  // trailing '/'. REQUIRES: not empty.
  explicit EnvironBuilder(std::vector<std::string> prefixes, const EnvironExtras& extras = {});

  struct Built {
    PyRef environ;            // null when the request is refused
    int refusal_status = 0;   // 404 (outside the mount) or 400 (bad CONTENT_LENGTH)
    std::string refusal;      // why, for the log
    int64_t content_length = -1;  // -1 when absent or empty
    bool head_request = false;    // REQUEST_METHOD is HEAD
    size_t mount = 0;             // which prefix the request is under
  };

  // Builds the environ. `errors` is wsgi.errors; wsgi.input is set later by
  // the caller with SetInput. On a Python failure returns a null environ with
  // a Python exception set and refusal_status 0.
  Built Build(std::span<const protocols::Param> params, PyObject* errors);

  // Sets wsgi.input. False with a Python exception set on failure.
  bool SetInput(PyObject* environ, PyObject* input);

  // Sets CONTENT_LENGTH (for a body spooled to learn its length). False
  // with a Python exception set on failure.
  bool SetContentLength(PyObject* environ, uint64_t length);

 private:
  // Transparent lookup, so a string_view finds a cached key without a copy.
  struct StringHash {
    using is_transparent = void;
    size_t operator()(std::string_view s) const { return std::hash<std::string_view>()(s); }
  };

  // What the param at one position was last time: its interned key, and
  // its value's str when short enough to keep.
  struct ParamMemo {
    std::string name;
    PyRef key;
    std::string value;
    PyRef text;
  };

  Built OutsideMounts(Built built, const std::string& path) const;
  // (Re)makes template_ with room for `entries` entries.
  void MakeTemplate(Py_ssize_t entries);
  // Adds the param at `position`, by the rules above. False with a Python
  // error set.
  bool AddParam(PyObject* environ, size_t position, std::string_view name, std::string_view value);
  PyRef Key(std::string_view name);  // interned; cached up to a bound
  bool Set(PyObject* environ, std::string_view name, std::string_view value);
  bool SetObject(PyObject* environ, std::string_view name, PyObject* value);

  std::vector<std::string> prefixes_;
  PyRef template_;
  Py_ssize_t template_room_ = 0;  // entries the template's copies hold without resizing
  std::unordered_map<std::string, PyRef, StringHash, std::equal_to<>> keys_;
  std::vector<ParamMemo> memos_;  // by param position
  PyRef key_input_, key_errors_, key_url_scheme_;
  std::vector<std::pair<PyRef, PyRef>> extra_vars_;  // --wsgi-var, made once
  bool strip_authorization_ = false;
  PyRef http_, https_;
};

}  // namespace shoal::python
