// Fuzz target for the planner's JSON model parser (planner/import/model_file.h): any input either
// parses into a model that ends in a loss, whose names hold only util/names.h's characters and
// whose tensors fit model_builder.h's limits, or throws one "FILE:LINE: problem" error line.
#include <cstddef>
#include <cstdint>
#include <stdexcept>
#include <string>

#include "graph/model_builder.h"
#include "import/model_file.h"
#include "util/names.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  try {
    const edgetrain::planner::Graph g = edgetrain::planner::parse_model_file(text, "fuzz.json", 2);
    if (g.loss == edgetrain::planner::kNoTensor || g.forward.empty()) __builtin_trap();
    for (const auto& t : g.tensors) {
      if (!edgetrain::planner::name_problem("name", t.name).empty()) __builtin_trap();
      for (uint32_t d : t.shape) if (d == 0) __builtin_trap();
      if (t.bytes() > edgetrain::planner::kMaxTensorBytes) __builtin_trap();
    }
  } catch (const std::invalid_argument& e) {
    const std::string what = e.what();
    if (what.rfind("fuzz.json:", 0) != 0 || what.find('\n') != std::string::npos) __builtin_trap();
  }
  return 0;
}
