// Fuzz target for the planner's JSON model parser (planner/import/model_file.h): any input either
// parses into a model that ends in a loss, or throws one "FILE:LINE: problem" error.
#include <cstddef>
#include <cstdint>
#include <stdexcept>
#include <string>

#include "import/model_file.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  try {
    const edgetrain::planner::Graph g = edgetrain::planner::parse_model_file(text, "fuzz.json", 2);
    if (g.loss == edgetrain::planner::kNoTensor || g.forward.empty()) __builtin_trap();
  } catch (const std::invalid_argument& e) {
    if (std::string(e.what()).rfind("fuzz.json:", 0) != 0) __builtin_trap();
  }
  return 0;
}
