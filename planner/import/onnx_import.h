// ONNX import: the forward graph of a CNN exported from PyTorch (torch.onnx.export), built through
// ModelBuilder like the zoo and JSON models, plus its initializers converted to our layouts.
//
// What it maps is one table, kOnnxOps (onnx_nodes.cc: op type, input and output counts, handler),
// and the ops it evaluates on constants (onnx_fold.h: the exporter's shape arithmetic); opsets
// 11..17 of the default domain. Only the batch dimension of the input may be dynamic; --batch
// picks it. The loss is softmax cross-entropy over the graph's output ([N, K] or [N, K, 1, 1]).
// Anything else is refused with one std::invalid_argument line: "FILE: node 'NAME' (OP): problem
// (supported: ...)".
//
// An eval-mode export has folded BatchNorm into the convolutions' biases: it imports as
// convolutions with bias, and OnnxModel::notes says so. Export with
// training=torch.onnx.TrainingMode.TRAINING to keep the BatchNorm layers.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "graph/graph.h"
#include "import/onnx_layout.h"

namespace edgetrain::planner {

struct OnnxModel {
  Graph graph;  // forward graph, as ModelBuilder::finish returns it
  std::vector<OnnxBinding> bindings;
  std::map<std::string, std::vector<float>> weights;  // our tensor name -> values, our layout
  std::vector<std::string> notes;  // what the import did that a user should know (plan prints them)
};

// Parses the bytes of an .onnx file (`filename` names it in errors).
OnnxModel parse_onnx(const std::string& bytes, const std::string& filename, uint32_t batch);
OnnxModel load_onnx(const std::string& path, uint32_t batch);

// The file's bytes; throws std::invalid_argument naming it if it cannot be read.
std::string read_binary_file(const std::string& path);

}  // namespace edgetrain::planner
