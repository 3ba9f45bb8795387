#include "util/names.h"

#include <cstdio>

namespace edgetrain::planner {

namespace {

bool is_alnum(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');  // not locale's
}

// Appends `c` escaped for `language` if it must be; `all`: quotes and backslashes too.
void append_escaped(std::string& out, char ch, Quote language, bool all) {
  const auto c = static_cast<unsigned char>(ch);
  if (all && (c == '"' || c == '\\')) {
    out += '\\';
    out += ch;
  } else if (c == '\n' || c == '\t' || c == '\r') {
    out += c == '\n' ? "\\n" : c == '\t' ? "\\t" : "\\r";  // the same in both languages
  } else if (c < 0x20 || c == 0x7f || (all && (c > 0x7f || (c == '?' && language == Quote::Cpp)))) {
    // Octal escapes take at most three digits, so a digit after one cannot join it (a hex escape
    // would swallow it); '?' escaped against trigraphs in pre-C++17 readers.
    char buf[8];
    std::snprintf(buf, sizeof buf, language == Quote::Cpp ? "\\%03o" : "\\u%04x", c);
    out += buf;
  } else {
    out += ch;
  }
}

}  // namespace

bool is_name_char(char c) { return is_alnum(c) || c == '.' || c == '_'; }

std::string name_problem(const std::string& what, const std::string& name) {
  if (name.empty()) return what + " is empty (names may hold only " + kNameCharset + ")";
  if (name.size() > kMaxNameBytes) {
    return what + " " + quoted(name.substr(0, 32), Quote::Json) + "... is " + std::to_string(name.size()) +
           " bytes long (at most " + std::to_string(kMaxNameBytes) + ")";
  }
  for (char c : name) {
    if (is_name_char(c)) continue;
    const std::string shown = quoted(std::string(1, c), Quote::Json);  // "\n" for a newline
    return what + " " + quoted(name, Quote::Json) + " holds '" + shown.substr(1, shown.size() - 2) +
           "' (names may hold only " + kNameCharset + ")";
  }
  return {};
}

std::string sanitize_name(const std::string& name) {
  std::string out = name;
  for (char& c : out) c = is_name_char(c) ? c : '_';
  return out;
}

std::string identifier_fragment(const std::string& name) {
  std::string out = name;
  for (char& c : out) c = is_alnum(c) || c == '_' ? c : '_';
  return out;
}

std::string quoted(const std::string& text, Quote language) {
  std::string out = "\"";
  for (char c : text) append_escaped(out, c, language, true);
  return out + "\"";
}

std::string one_line(const std::string& text) {
  std::string out;
  for (char c : text) append_escaped(out, c, Quote::Json, false);
  return out;
}

}  // namespace edgetrain::planner
