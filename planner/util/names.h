// Names that reach generated code. Layer, tensor and model names come from files anyone can
// write (JSON models, ONNX graphs, device profiles) and end up in `*.gen.cc`, which the device
// trainer compiles and runs, and in the JSON plan. So the importers admit only a small character
// set, and the emitters still write every name as an escaped literal and every identifier from a
// sanitised form: a name is data, never code.
#pragma once

#include <cstddef>
#include <string>

namespace edgetrain::planner {

// The character set of imported names, as error messages spell it.
inline constexpr const char* kNameCharset = "letters, digits, '.' and '_'";

// The longest imported name: with the planner's own prefixes and suffixes ("d.", ".velocity",
// "~r2") it stays within the runtime's limit (runtime/plan_check.cc, 4096 bytes).
inline constexpr size_t kMaxNameBytes = 1024;

// Whether `c` may appear in an imported layer or tensor name (kNameCharset).
bool is_name_char(char c);

// "" if `name` is a valid imported name (1 to kMaxNameBytes of kNameCharset); otherwise the problem,
// e.g. `layer name "a\"b" holds '"' (names may hold only letters, digits, '.' and '_')`, one
// line whatever the name holds. `what` says which name ("layer name", "input").
std::string name_problem(const std::string& what, const std::string& name);

// Every character outside kNameCharset replaced by '_' (ONNX names: "/conv/Conv" -> "_conv_Conv").
std::string sanitize_name(const std::string& name);

// `name` as a C++ identifier fragment: letters, digits and '_' kept, everything else '_'.
std::string identifier_fragment(const std::string& name);

enum class Quote { Cpp, Json };
// `text` as a double-quoted string literal of the language: quotes and backslashes escaped,
// control characters and bytes >= 0x7f as \ooo octal (C++) or \u00XX (JSON), so the literal
// holds exactly `text` (JSON: bytes >= 0x80 read as Latin-1) and never ends a line or a comment.
std::string quoted(const std::string& text, Quote language);

// `text` with its control characters escaped JSON-style ("\n", "\u0001"), the rest as is: what
// an error message quotes from a file stays on the message's one line.
std::string one_line(const std::string& text);

}  // namespace edgetrain::planner
