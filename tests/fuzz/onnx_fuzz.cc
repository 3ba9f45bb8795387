// Fuzz target for the planner's ONNX import (planner/import/onnx_import.h): any input either imports
// into a model that ends in a loss, with a value in our layout for every bound tensor, or
// throws one "fuzz.onnx: problem" error line (never a protobuf CHECK abort: node input and
// output counts are checked first). Names are sanitised to util/names.h's characters.
#include <cstddef>
#include <cstdint>
#include <stdexcept>
#include <string>

#include "import/onnx_import.h"
#include "util/names.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string bytes(reinterpret_cast<const char*>(data), size);
  try {
    const edgetrain::planner::OnnxModel m = edgetrain::planner::parse_onnx(bytes, "fuzz.onnx", 2);
    if (m.graph.loss == edgetrain::planner::kNoTensor || m.graph.forward.empty()) __builtin_trap();
    for (const auto& t : m.graph.tensors) {  // every bound value fits its tensor exactly
      const auto it = m.weights.find(t.name);
      if (it != m.weights.end() && it->second.size() * 4 != t.bytes()) __builtin_trap();
    }
    if (m.weights.size() != m.bindings.size()) __builtin_trap();
    for (const auto& t : m.graph.tensors) {
      if (!edgetrain::planner::name_problem("name", t.name).empty()) __builtin_trap();
    }
    for (char c : m.graph.model) {
      if (edgetrain::planner::identifier_fragment(std::string(1, c)) != std::string(1, c)) __builtin_trap();
    }
  } catch (const std::invalid_argument& e) {
    const std::string what = e.what();
    if (what.rfind("fuzz.onnx: ", 0) != 0 || what.find('\n') != std::string::npos) __builtin_trap();
  }
  return 0;
}
