// Rendering of the conf/ templates the tests run for Apache and lighttpd.
//
// A template names its placeholders @NAME@ (upper case, digits and `_`);
// each config's header comment lists its own. nginx's templates go through
// nginx_conf.h, which also knows nginx's `user root;` rule.
#pragma once

#include <filesystem>
#include <map>
#include <string>
#include <string_view>

namespace shoal::tests {

// Placeholder name (without the @s) → value: {"PORT", "8080"} fills @PORT@.
using ConfValues = std::map<std::string, std::string>;

// Returns `text` with every @NAME@ in `values` replaced by its value. Throws
// std::runtime_error naming the first placeholder left unfilled, so a
// template and its renderer cannot drift apart unnoticed.
std::string RenderTemplate(std::string_view text, const ConfValues& values);

// Renders the file `conf_template` into `out`. Throws std::runtime_error if
// either cannot be read or written, or a placeholder is left unfilled.
void WriteRenderedTemplate(const std::filesystem::path& conf_template, const ConfValues& values,
                           const std::filesystem::path& out);

}  // namespace shoal::tests
