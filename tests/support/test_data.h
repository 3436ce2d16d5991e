// Small helpers for what tests send and read back.
#pragma once

#include <map>
#include <random>
#include <sstream>
#include <string>

namespace shoal::tests {

// `size` bytes of every value, the same for the same `seed`.
inline std::string RandomBytes(size_t size, unsigned seed) {
  std::mt19937 generator(seed);
  std::uniform_int_distribution<int> byte(0, 255);
  std::string bytes(size, '\0');
  for (char& c : bytes) c = static_cast<char>(byte(generator));
  return bytes;
}

// Parses probe's "KEY<TAB>VALUE" lines (its /environ and /count pages).
inline std::map<std::string, std::string> Lines(const std::string& body) {
  std::map<std::string, std::string> values;
  std::istringstream in(body);
  for (std::string line; std::getline(in, line);) {
    size_t tab = line.find('\t');
    if (tab != std::string::npos) values[line.substr(0, tab)] = line.substr(tab + 1);
  }
  return values;
}

}  // namespace shoal::tests
