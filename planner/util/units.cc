#include "util/units.h"

#include <cctype>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <stdexcept>

namespace edgetrain::planner {

bool parse_decimal(const std::string& text, uint64_t max, uint64_t* value) {
  if (text.empty() || text.size() > 19) return false;  // 19 digits cannot overflow uint64_t
  uint64_t v = 0;
  for (char c : text) {
    if (c < '0' || c > '9') return false;
    v = v * 10 + static_cast<uint64_t>(c - '0');
  }
  if (v > max) return false;
  *value = v;
  return true;
}

uint64_t parse_bytes(const std::string& text) {
  const auto bad = [&] {
    return std::invalid_argument("'" + text + "' is not a byte size (say 300MiB, 2GB or 123456)");
  };
  // Decimal digits with an optional fraction, then the unit: strtod alone would also read
  // " 8", "0x10" (hex), "1e3" and "inf".
  size_t i = 0;
  while (i < text.size() && text[i] >= '0' && text[i] <= '9') ++i;
  if (i == 0) throw bad();
  if (i < text.size() && text[i] == '.') {
    const size_t dot = i++;
    while (i < text.size() && text[i] >= '0' && text[i] <= '9') ++i;
    if (i == dot + 1) throw bad();
  }
  if (i > 32) throw bad();
  const double v = std::strtod(text.substr(0, i).c_str(), nullptr);
  std::string unit = text.substr(i);
  for (char& ch : unit) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
  double scale = 0;
  if (unit.empty() || unit == "b") scale = 1;
  else if (unit == "k" || unit == "kb") scale = 1e3;
  else if (unit == "kib") scale = 1024.0;
  else if (unit == "m" || unit == "mb") scale = 1e6;
  else if (unit == "mib") scale = 1024.0 * 1024;
  else if (unit == "g" || unit == "gb") scale = 1e9;
  else if (unit == "gib") scale = 1024.0 * 1024 * 1024;
  else throw bad();
  const double bytes = v * scale;
  if (!std::isfinite(bytes) || bytes < 1 || bytes > 1e15) throw bad();
  return static_cast<uint64_t>(std::llround(bytes));
}

std::string format_mib(uint64_t bytes) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f MiB", static_cast<double>(bytes) / (1024.0 * 1024.0));
  return buf;
}

}  // namespace edgetrain::planner
