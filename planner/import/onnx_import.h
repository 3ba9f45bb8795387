// ONNX import: the forward graph of a CNN exported from PyTorch (torch.onnx.export), built through
// ModelBuilder like the zoo and JSON models, plus its initializers converted to our layouts.
//
// Supported (default domain, opset 11..17): Conv (incl. grouped/depthwise; square kernel, one
// stride, the same padding on all sides, no dilation), BatchNormalization (eps 1e-5, momentum
// 0.9: PyTorch's defaults, which our BatchNorm uses), Relu, Clip(0, 6), Add of two activations,
// MaxPool, GlobalAveragePool, ReduceMean over H and W, Flatten/Reshape to [batch, features],
// Gemm/MatMul; the last node must be the Gemm/MatMul that writes the logits. Only the batch
// dimension of the input may be dynamic; --batch picks it. Anything else is refused with one
// std::invalid_argument line: "FILE: node 'NAME' (OP): problem (supported: ...)".
//
// Export from PyTorch with training=torch.onnx.TrainingMode.TRAINING to keep BatchNorm layers:
// an eval-mode export folds them into the convolutions' biases.
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
