// Names no importer admits, fed to the emitter directly (nasty_plan_main.cc writes the plan,
// emitted_names_test.cc compiles it in): the generated code must hold them only as data.
#pragma once

namespace edgetrain::test {

// A quote and a newline that would end the literal and start a statement, a comment closer, a
// backslash at the end (a line continuation in a // comment), a control byte before a digit
// (an escape that would swallow it) and a trigraph.
inline constexpr const char* kNastyModel = "m\"; int injected = 1; //\n*/ \\";
inline constexpr const char* kNastyConv = "c\");\nstatic int x = system(\"id\"); /* */ \\";
inline constexpr const char* kNastyRelu = "r\x01" "1?" "?=\t\\";  // split: no trigraph here

}  // namespace edgetrain::test
