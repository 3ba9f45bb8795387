// The ONNX importer's internals, shared by its driver (onnx_import.cc: graph input, constants,
// bindings, names) and its node handlers (onnx_nodes.cc: one row per ONNX op in kOnnxOps).
// Only onnx_import.h is the stage's interface.
#pragma once

#include <memory>
#include <set>
#include <string>
#include <vector>

#include "graph/model_builder.h"
#include "import/onnx_fold.h"
#include "import/onnx_import.h"
#include "import/onnx_proto.h"

namespace edgetrain::planner::onnx_detail {

// An ONNX value that is one of our activations. ONNX is NCHW, we are NHWC: `flat` marks the
// [batch, features] view a Flatten/Reshape/Gemm made, whose features ONNX orders as [C][H][W].
// `groups` > 0 marks the 5-D view [N, g, C/g, H, W] of a channel shuffle's first Reshape
// (`shuffled` once its Transpose swapped g and C/g): our tensor is still the 4-D one.
struct Value {
  TensorId id = kNoTensor;
  bool flat = false;
  uint32_t c = 0, h = 1, w = 1;
  uint32_t groups = 0;
  bool shuffled = false;
  uint32_t pad = 0;  // a Pad's output: x padded on H and W by `pad` zeros, which an AveragePool reads
};

class Importer;
using NodeHandler = void (Importer::*)(const onnx::NodeProto&, int index);

// One ONNX op the importer maps: its input and output counts (checked before any is read:
// protobuf's accessors abort on an index past the end) and its handler.
struct OnnxOp {
  const char* op_type;
  int min_in, max_in, min_out, max_out;
  NodeHandler handler;
};
const OnnxOp* find_onnx_op(const std::string& op_type);
std::string supported_onnx_ops();  // for messages

class Importer {
 public:
  Importer(const onnx::ModelProto& m, std::string file, uint32_t batch)
      : m_(m), g_(m.graph()), file_(std::move(file)), batch_(batch) {}
  OnnxModel run();

  // --- node handlers (onnx_nodes.cc) ---
  void identity(const onnx::NodeProto& n, int index);
  void transpose(const onnx::NodeProto& n, int index);
  void conv(const onnx::NodeProto& n, int index);
  void batchnorm(const onnx::NodeProto& n, int index);
  void relu(const onnx::NodeProto& n, int index);
  void clip(const onnx::NodeProto& n, int index);
  void add(const onnx::NodeProto& n, int index);
  void pool(const onnx::NodeProto& n, int index);
  void concat(const onnx::NodeProto& n, int index);
  void global_pool(const onnx::NodeProto& n, int index);
  void pad(const onnx::NodeProto& n, int index);
  void flatten(const onnx::NodeProto& n, int index);
  void reshape(const onnx::NodeProto& n, int index);
  void fc(const onnx::NodeProto& n, int index);
  void shape(const onnx::NodeProto& n, int index);
  void dropout(const onnx::NodeProto& n, int index);
  void activation(const onnx::NodeProto& n, int index);
  void mul(const onnx::NodeProto& n, int index);
  void slice(const onnx::NodeProto& n, int index);
  void split(const onnx::NodeProto& n, int index);

 private:
  friend const OnnxOp* find_onnx_op(const std::string&);

  // Node, input and initializer names are the file's: one_line keeps the message one line.
  [[noreturn]] void fail_model(const std::string& what) const;
  [[noreturn]] void fail(const onnx::NodeProto& n, const std::string& what) const;
  void check_opset();
  uint32_t dim(const onnx::TensorShapeProto& s, int i) const { return static_cast<uint32_t>(s.dim(i).dim_value()); }
  void image_input();
  uint32_t count_classes() const;
  std::string model_name() const;
  void node(const onnx::NodeProto& n, int index);

  // --- attributes ---
  const onnx::AttributeProto* attr(const onnx::NodeProto& n, const char* name) const;
  int64_t attr_int(const onnx::NodeProto& n, const char* name, int64_t fallback) const;
  float attr_float(const onnx::NodeProto& n, const char* name, float fallback) const;
  std::vector<int64_t> attr_ints(const onnx::NodeProto& n, const char* name, std::vector<int64_t> fallback) const;
  void allow_attrs(const onnx::NodeProto& n, std::set<std::string> known) const;
  // Refuses dilations other than 1 (Conv, MaxPool), quoting the file's values.
  void refuse_dilation(const onnx::NodeProto& n) const;

  // --- inputs ---
  const Value& act(const onnx::NodeProto& n, int slot) const;
  // The constant read at `slot`: null if the slot is absent or empty; refused if it is not a constant.
  const onnx::TensorProto* constant(const onnx::NodeProto& n, int slot) const;
  float scalar(const onnx::NodeProto& n, int slot, float fallback) const;
  std::vector<int64_t> ints(const onnx::NodeProto& n, int slot) const;
  std::vector<uint32_t> dims_of(const onnx::TensorProto& t) const {
    return std::vector<uint32_t>(t.dims().begin(), t.dims().end());
  }
  // Records that the constant at `slot` of `n` is our `tensor` in `layout`, with its values.
  // A null slot (slot -1) trains a zero-initialised tensor the file lacks.
  void bind(const onnx::NodeProto& n, int slot, const std::string& tensor, OnnxLayout layout,
            std::vector<uint32_t> want, const Value& flat = {});
  std::string layer_name(const onnx::NodeProto& n, int index, const onnx::TensorProto* weight);
  // node() checked the output count (kOnnxOps).
  void define(const onnx::NodeProto& n, Value v) { values_[n.output(0)] = v; }
  uint32_t dim_of(TensorId id, int i) const { return b_->shape(id)[static_cast<size_t>(i)]; }
  Value flat_of(const Value& v) const;
  // The output of an element-wise op on `x`: tensor `y` in x's view.
  static Value like(const Value& x, TensorId y) { return {y, x.flat, x.c, x.h, x.w}; }
  // Channels [begin, end) of x (negative: from the end; clamped), as a ChannelSlice named `name`.
  Value channel_range(const onnx::NodeProto& n, const std::string& name, const Value& x, int64_t begin, int64_t end);
  int64_t channel_axis(const onnx::NodeProto& n, int64_t axis) const;
  // The ONNX (NCHW) shape of a value, with our batch.
  std::vector<int64_t> onnx_shape(const Value& v) const;
  uint32_t window(const onnx::NodeProto& n, const char* what, const std::vector<int64_t>& v, size_t count) const;
  const onnx::TensorProto* fc_weight(const onnx::NodeProto& n, bool* trans_b, int* slot) const;
  void note(const std::string& line) { out_.notes.push_back(line); }

  const onnx::ModelProto& m_;
  const onnx::GraphProto& g_;
  std::string file_;
  uint32_t batch_;
  int64_t opset_ = -1;
  int input_index_ = -1, node_index_ = -1;
  ConstantTable consts_;
  std::set<std::string> initializers_, transposed_;  // transposed_: Transpose of a 2-D weight
  std::map<std::string, Value> values_;
  std::set<std::string> names_, used_;
  std::unique_ptr<ModelBuilder> b_;
  OnnxModel out_;
  int conv_bias_ = 0, batchnorms_ = 0;  // for the eval-export note
};

}  // namespace edgetrain::planner::onnx_detail
