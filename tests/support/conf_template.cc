#include "support/conf_template.h"

#include <fstream>
#include <regex>
#include <stdexcept>

#include "support/child_process.h"

namespace shoal::tests {

std::string RenderTemplate(std::string_view text, const ConfValues& values) {
  std::string conf(text);
  for (const auto& [name, value] : values) {
    const std::string from = "@" + name + "@";
    for (size_t at = conf.find(from); at != std::string::npos;
         at = conf.find(from, at + value.size())) {
      conf.replace(at, from.size(), value);
    }
  }
  std::smatch left;
  if (std::regex_search(conf, left, std::regex("@[A-Z][A-Z0-9_]*@"))) {
    throw std::runtime_error("placeholder " + left.str() + " has no value");
  }
  return conf;
}

void WriteRenderedTemplate(const std::filesystem::path& conf_template, const ConfValues& values,
                           const std::filesystem::path& out) {
  std::string text = ReadFileOrEmpty(conf_template);
  if (text.empty()) throw std::runtime_error("cannot read " + conf_template.string());
  std::string conf;
  try {
    conf = RenderTemplate(text, values);
  } catch (const std::exception& e) {
    throw std::runtime_error(conf_template.string() + ": " + e.what());
  }
  std::ofstream file(out, std::ios::binary);
  file << conf;
  file.close();
  if (!file) throw std::runtime_error("cannot write " + out.string());
}

}  // namespace shoal::tests
