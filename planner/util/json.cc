#include "util/json.h"

#include <cctype>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <stdexcept>

namespace edgetrain::planner {

namespace {

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
        std::string key = string();
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
      while (j < s_.size() && std::strchr("+-.eE0123456789", s_[j])) ++j;
      const std::string num = s_.substr(i_, j - i_);
      char* end = nullptr;
      v.number = std::strtod(num.c_str(), &end);
      if (end != num.c_str() + num.size() || !std::isfinite(v.number)) fail("malformed number '" + num + "'");
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
        else if (e == '"' || e == '\\' || e == '/') out += e;
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

  const std::string& s_;
  std::string file_;
  size_t i_ = 0;
  int line_ = 1;
};

}  // namespace

void json_fail(const std::string& file, int line, const std::string& what) {
  throw std::invalid_argument(file + ":" + std::to_string(line) + ": " + what);
}

JsonValue parse_json(const std::string& text, const std::string& file) {
  return Parser(text, file).document();
}

}  // namespace edgetrain::planner
