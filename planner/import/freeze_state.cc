#include "import/freeze_state.h"

#include <stdexcept>

#include "graph/training.h"
#include "import/onnx_import.h"
#include "import/onnx_weights.h"

namespace edgetrain::planner {

void convert_state(const std::string& in_path, const Graph& model, const Graph& planned,
                   const std::string& out_path) {
  const std::string bytes = read_binary_file(in_path);
  StateTensors state;
  try {
    state = parse_model_state(bytes, in_path, model);
  } catch (const std::invalid_argument& unfrozen_error) {
    try {  // a state saved by a plan with these very layers frozen
      state = parse_state_file(bytes, in_path, planned);
    } catch (const std::invalid_argument&) {
      throw unfrozen_error;  // the unfrozen model's complaint is the one that explains
    }
  }
  // make_state_file takes values by name; everything not given (optimizer state) starts at its Init.
  OnnxModel values;
  for (const Tensor& t : planned.tensors) {
    if (t.role != Role::Param && t.role != Role::RunningStat) continue;
    const auto it = state.find(t.name);
    if (it == state.end()) throw std::logic_error("state has no tensor '" + t.name + "'");
    values.weights[t.name] = it->second;
  }
  write_file_atomically(out_path, make_state_file(planned, values));
}

void export_frozen_onnx_weights(const std::string& onnx_path, const std::string& state_path,
                                const FreezeSpec& freeze, const std::string& out_path) {
  const std::string bytes = read_binary_file(onnx_path);
  const OnnxModel m = parse_onnx(bytes, onnx_path, 1);
  Graph g = m.graph;
  const Frozen frozen = freeze_layers(g, freeze);  // the state holds what that plan holds
  const StateTensors state = parse_model_state(read_binary_file(state_path), state_path, g, frozen.params);
  write_file_atomically(out_path, export_onnx(bytes, onnx_path, m, state));
}

}  // namespace edgetrain::planner
