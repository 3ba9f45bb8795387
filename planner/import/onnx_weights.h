// Weights between an ONNX file and our training state files, both ways:
//   - the ONNX initializers become the initial state of a plan (runtime/state_file.h's format:
//     "ETSTATE1", the model hash, the persistent params tensors in tensor id order; velocities
//     zero), so `edgetrain-train --init-state FILE` starts from PyTorch's weights;
//   - a trained state goes back into a copy of the ONNX file: same graph, updated initializers
//     (a Gemm/MatMul without bias gains one, a MatMul becomes the equivalent Gemm).
// The planner does not link the runtime, so the state format is written and read here too; the
// tests check it against the runtime's own reader.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "graph/graph.h"
#include "import/onnx_import.h"
#include "util/atomic_file.h"

namespace edgetrain::planner {

using StateTensors = std::map<std::string, std::vector<float>>;  // tensor name -> values

// `g` has its training schedules (derive_schedules, or a planned graph); its persistent tensors
// decide the payload. Throws if a parameter has no value.
std::string make_state_file(const Graph& g, const OnnxModel& m);

// Checks magic, checksum, model hash and size against `g`; `name` is for errors.
StateTensors parse_state_file(const std::string& bytes, const std::string& name, const Graph& g);

// A state of the model whose forward graph is `model` (with the layers `frozen` marks frozen,
// freeze.h), saved by a plan under any optimizer: the layouts differ only in the optimizer's
// state, so each optimizer kind's (training.h) is tried, SGD's first, whose error is the one thrown.
StateTensors parse_model_state(const std::string& bytes, const std::string& name, const Graph& model,
                               const std::vector<bool>& frozen = {});

// The ONNX file `onnx_bytes` with `m`'s initializers replaced by `state`'s values, serialized.
std::string export_onnx(const std::string& onnx_bytes, const std::string& filename, const OnnxModel& m,
                        const StateTensors& state);

// The CLI's jobs (plan --onnx ... --weights-out / --export-weights ... --out-onnx).
void write_onnx_initial_state(const std::string& onnx_path, const Graph& planned, const std::string& out_path);
void export_onnx_weights(const std::string& onnx_path, const std::string& state_path, const std::string& out_path);

}  // namespace edgetrain::planner
