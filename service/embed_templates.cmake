# Writes OUTPUT, a C++ header holding every file under TEMPLATE_DIR
# (service/templates/) as a string, so `shoal service-dir` writes exactly
# the text a packager installs: the two cannot drift. Run at build time
# (cmake -P) whenever a template changes; see the top CMakeLists.txt.
file(GLOB_RECURSE files RELATIVE "${TEMPLATE_DIR}" "${TEMPLATE_DIR}/*")
list(SORT files)
set(entries "")
foreach(file IN LISTS files)
  file(READ "${TEMPLATE_DIR}/${file}" text)
  string(FIND "${text}" ")shoal_template" clash)
  if(NOT clash EQUAL -1)
    message(FATAL_ERROR "${file}: holds the raw string's delimiter )shoal_template")
  endif()
  string(APPEND entries "    {\"${file}\", R\"shoal_template(${text})shoal_template\"},\n")
endforeach()
set(header "// Generated from service/templates/ by service/embed_templates.cmake: do not edit.
#pragma once

#include <string_view>

namespace shoal::service {

struct EmbeddedTemplate {
  std::string_view path;  // relative to service/templates/, e.g. \"s6/log/run\"
  std::string_view text;
};

inline constexpr EmbeddedTemplate kEmbeddedTemplates[] = {
${entries}};

}  // namespace shoal::service
")
file(WRITE "${OUTPUT}" "${header}")
