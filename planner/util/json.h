// A small JSON reader for the planner's hand-written and tool-written inputs (model files,
// device profiles): every value remembers its line, so every error can say "FILE:LINE: problem".
#pragma once

#include <string>
#include <utility>
#include <vector>

namespace edgetrain::planner {

struct JsonValue {
  enum Kind { Null, Bool, Number, String, Array, Object } kind = Null;
  int line = 1;
  double number = 0;
  std::string text;
  std::vector<JsonValue> items;
  std::vector<std::pair<std::string, JsonValue>> fields;

  const JsonValue* get(const std::string& key) const {
    for (const auto& [k, v] : fields) {
      if (k == key) return &v;
    }
    return nullptr;
  }
};

// Parses one JSON document; throws std::invalid_argument("FILE:LINE: problem").
JsonValue parse_json(const std::string& text, const std::string& file);

// Throws std::invalid_argument("FILE:LINE: what").
[[noreturn]] void json_fail(const std::string& file, int line, const std::string& what);

}  // namespace edgetrain::planner
