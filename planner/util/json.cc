#include "util/json.h"

#include <cctype>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <stdexcept>

#include "util/names.h"

namespace edgetrain::planner {

namespace {

// RFC 8259's number grammar: -?(0|[1-9][0-9]*)(.[0-9]+)?([eE][+-]?[0-9]+)? (strtod alone would
// also take "0x10", "+1", "1." and "inf").
bool json_number(const std::string& t) {
  size_t i = 0;
  const auto digits = [&] {
    const size_t from = i;
    while (i < t.size() && t[i] >= '0' && t[i] <= '9') ++i;
    return i - from;
  };
  if (i < t.size() && t[i] == '-') ++i;
  if (i < t.size() && t[i] == '0') {
    ++i;
  } else if (digits() == 0) {
    return false;
  }
  if (i < t.size() && t[i] == '.') {
    ++i;
    if (digits() == 0) return false;
  }
  if (i < t.size() && (t[i] == 'e' || t[i] == 'E')) {
    ++i;
    if (i < t.size() && (t[i] == '+' || t[i] == '-')) ++i;
    if (digits() == 0) return false;
  }
  return i == t.size();
}

class Parser {
 public:
  Parser(const std::string& text, std::string file) : s_(text), file_(std::move(file)) {}

  JsonValue document() {
    JsonValue v = value(0);
    skip();
    if (i_ < s_.size()) fail("unexpected text after the closing brace");
    return v;
  }

  [[noreturn]] void fail(const std::string& what) const { json_fail(file_, line_, what); }

 private:
  void skip() {
    while (i_ < s_.size() && std::isspace(static_cast<unsigned char>(s_[i_]))) {
      if (s_[i_] == '\n') ++line_;
      ++i_;
    }
  }

  JsonValue value(int depth) {
    if (depth > 64) fail("nested too deeply");
    skip();
    if (i_ >= s_.size()) fail("unexpected end of file");
    JsonValue v;
    v.line = line_;
    const char c = s_[i_];
    if (c == '{') {
      v.kind = JsonValue::Object;
      ++i_;
      skip();
      if (i_ < s_.size() && s_[i_] == '}') { ++i_; return v; }
      for (;;) {
        skip();
        if (i_ >= s_.size() || s_[i_] != '"') fail("expected a quoted key");
        const int key_line = line_;
        std::string key = string();
        for (const auto& field : v.fields) {  // get() would see only the first of two
          if (field.first == key) json_fail(file_, key_line, "key \"" + key + "\" appears twice in one object");
        }
        skip();
        if (i_ >= s_.size() || s_[i_] != ':') fail("expected ':' after \"" + key + "\"");
        ++i_;
        v.fields.emplace_back(std::move(key), value(depth + 1));
        skip();
        if (i_ < s_.size() && s_[i_] == ',') { ++i_; continue; }
        if (i_ < s_.size() && s_[i_] == '}') { ++i_; return v; }
        fail("expected ',' or '}'");
      }
    }
    if (c == '[') {
      v.kind = JsonValue::Array;
      ++i_;
      skip();
      if (i_ < s_.size() && s_[i_] == ']') { ++i_; return v; }
      for (;;) {
        v.items.push_back(value(depth + 1));
        skip();
        if (i_ < s_.size() && s_[i_] == ',') { ++i_; continue; }
        if (i_ < s_.size() && s_[i_] == ']') { ++i_; return v; }
        fail("expected ',' or ']'");
      }
    }
    if (c == '"') {
      v.kind = JsonValue::String;
      v.text = string();
      return v;
    }
    if (c == '-' || (c >= '0' && c <= '9')) {
      size_t j = i_;
      while (j < s_.size() && std::strchr("+-.eExX0123456789abcdefABCDEF", s_[j])) ++j;
      const std::string num = s_.substr(i_, j - i_);
      char* end = nullptr;
      v.number = std::strtod(num.c_str(), &end);
      if (!json_number(num) || end != num.c_str() + num.size() || !std::isfinite(v.number)) {
        fail("malformed number '" + num + "' (JSON numbers are decimal: -12, 0.5, 1e-3)");
      }
      v.kind = JsonValue::Number;
      i_ = j;
      return v;
    }
    for (const char* word : {"true", "false", "null"}) {
      if (s_.compare(i_, std::strlen(word), word) == 0) {
        i_ += std::strlen(word);
        v.kind = word[0] == 'n' ? JsonValue::Null : JsonValue::Bool;
        v.number = word[0] == 't';
        return v;
      }
    }
    fail(std::string("unexpected character '") + c + "'");
  }

  std::string string() {
    ++i_;  // opening quote
    std::string out;
    while (i_ < s_.size() && s_[i_] != '"') {
      if (s_[i_] == '\n') fail("unterminated string");
      if (s_[i_] == '\\') {
        if (++i_ >= s_.size()) break;
        const char e = s_[i_];
        if (e == 'n') out += '\n';
        else if (e == 't') out += '\t';
        else if (e == 'r') out += '\r';
        else if (e == 'b') out += '\b';
        else if (e == 'f') out += '\f';
        else if (e == '"' || e == '\\' || e == '/') out += e;
        else if (e == 'u') out += unicode_escape();
        else fail("unsupported escape '\\" + std::string(1, e) + "'");
      } else {
        out += s_[i_];
      }
      ++i_;
    }
    if (i_ >= s_.size()) fail("unterminated string");
    ++i_;
    return out;
  }

  // The four hex digits after "\\u" (i_ at the 'u'), as UTF-8; surrogate pairs are refused
  // (no name or key needs one).
  std::string unicode_escape() {
    if (i_ + 4 >= s_.size()) fail("unterminated \\u escape");
    unsigned cp = 0;
    for (int k = 1; k <= 4; ++k) {
      const char h = s_[i_ + k];
      const char* digits = "0123456789abcdef";
      const char* at = std::strchr(digits, std::tolower(static_cast<unsigned char>(h)));
      if (h == '\0' || !at) fail("malformed \\u escape (want four hex digits)");
      cp = cp * 16 + static_cast<unsigned>(at - digits);
    }
    i_ += 4;
    if (cp >= 0xd800 && cp <= 0xdfff) fail("\\u surrogates are not supported");
    std::string out;
    if (cp < 0x80) {
      out += static_cast<char>(cp);
    } else if (cp < 0x800) {
      out += static_cast<char>(0xc0 | (cp >> 6));
      out += static_cast<char>(0x80 | (cp & 0x3f));
    } else {
      out += static_cast<char>(0xe0 | (cp >> 12));
      out += static_cast<char>(0x80 | ((cp >> 6) & 0x3f));
      out += static_cast<char>(0x80 | (cp & 0x3f));
    }
    return out;
  }

  const std::string& s_;
  std::string file_;
  size_t i_ = 0;
  int line_ = 1;
};

}  // namespace

void json_fail(const std::string& file, int line, const std::string& what) {
  // `what` may quote the file (keys, names): its control characters must not split the line.
  throw std::invalid_argument(file + ":" + std::to_string(line) + ": " + one_line(what));
}

JsonValue parse_json(const std::string& text, const std::string& file) {
  return Parser(text, file).document();
}

}  // namespace edgetrain::planner
