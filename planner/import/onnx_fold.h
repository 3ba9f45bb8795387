// Constant folding at ONNX import: the exporter's shape arithmetic (Shape -> Gather -> Unsqueeze ->
// Concat -> Reshape, Div/Mul on channel counts, Cast of Clip bounds, ConstantOfShape, ...) is
// evaluated on the host, so what reaches the model builder is an op on activations with constant
// attributes. Only small FLOAT and INT64 tensors are folded.
#pragma once

#include <deque>
#include <map>
#include <string>
#include <vector>

#include "import/onnx_proto.h"

namespace edgetrain::planner {

// The constants of a graph by ONNX value name: initializers, Constant nodes and folded results
// (which the table owns).
class ConstantTable {
 public:
  const onnx::TensorProto* find(const std::string& name) const {
    const auto it = by_name_.find(name);
    return it == by_name_.end() ? nullptr : it->second;
  }
  void alias(const std::string& name, const onnx::TensorProto* t) { by_name_[name] = t; }
  const onnx::TensorProto* add(const std::string& name, onnx::TensorProto t) {
    owned_.push_back(std::move(t));
    return by_name_[name] = &owned_.back();
  }
  // Where `name` is an Identity of an initializer: that initializer's name, else `name`.
  std::string source(const std::string& name) const {
    const auto it = by_name_.find(name);
    return it == by_name_.end() ? name : it->second->name();
  }

 private:
  std::map<std::string, const onnx::TensorProto*> by_name_;
  std::deque<onnx::TensorProto> owned_;
};

// The ops fold_constant evaluates (for messages).
inline constexpr const char* kFoldedOps =
    "Constant, Cast, Gather, Unsqueeze, Squeeze, Concat, Slice, Sub, Mul, Div, ConstantOfShape";

// Whether `n` is a foldable op whose inputs are all constants (or a Constant node); if so, its
// outputs are evaluated into `consts`. Throws std::invalid_argument with the problem (without the
// node's name: the importer adds it) when such a node cannot be evaluated.
bool fold_constant(const onnx::NodeProto& n, ConstantTable& consts);

// An INT64 constant of `dims` shape (1-D when dims is empty and values has more than one).
onnx::TensorProto int64_constant(const std::string& name, const std::vector<int64_t>& values);

}  // namespace edgetrain::planner
