// State files across freezing (freeze.h).
//
// The model hash names the model, not the layers a plan trains (a frozen BatchNorm hashes as a
// BatchNorm), so weights and ONNX exports fit every plan of a model. A state file's payload is
// the plan's persistent params tensors, and frozen layers have no optimizer state: the runtime refuses
// a state of the unfrozen model in a frozen plan ("holds N bytes of state, the plan needs M").
// Fine-tuning starts from such a state, so the host converts it: weights and BatchNorm running
// statistics by name, optimizer state zero and step 0 (a fresh optimizer, as PyTorch
// fine-tuning makes one).
#pragma once

#include <string>

#include "graph/freeze.h"
#include "graph/graph.h"

namespace edgetrain::planner {

// Reads `in_path`, a state of the unfrozen model whose forward graph is `model` (saved under any
// optimizer) or of `planned` itself, and writes the initial state of `planned` to `out_path`.
// Throws std::invalid_argument with one line for a damaged file or one of another model.
void convert_state(const std::string& in_path, const Graph& model, const Graph& planned,
                   const std::string& out_path);

// plan --onnx FILE --freeze ... --export-weights STATE --out-onnx OUT: STATE was saved by a
// plan with those layers frozen.
void export_frozen_onnx_weights(const std::string& onnx_path, const std::string& state_path,
                                const FreezeSpec& freeze, const std::string& out_path);

}  // namespace edgetrain::planner
