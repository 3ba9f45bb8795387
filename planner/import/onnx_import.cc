#include "import/onnx_import.h"

#include <cerrno>
#include <cmath>
#include <cstring>
#include <fstream>
#include <map>
#include <memory>
#include <set>
#include <sstream>
#include <stdexcept>

#include "graph/model_builder.h"
#include "import/onnx_proto.h"
#include "util/names.h"

namespace edgetrain::planner {

namespace {

constexpr int64_t kMinOpset = 11, kMaxOpset = 17;  // Clip's min/max are inputs from 11 on
constexpr const char* kOps =
    "Conv, BatchNormalization, Relu, Clip(0, 6), Add, MaxPool, GlobalAveragePool, ReduceMean, "
    "Flatten, Reshape, Gemm, MatMul, Constant, Transpose of a weight";

// An ONNX value that is one of our activations. ONNX is NCHW, we are NHWC: `flat` marks the
// [batch, features] view a Flatten/Reshape/Gemm made, whose features ONNX orders as [C][H][W].
struct Value {
  TensorId id = kNoTensor;
  bool flat = false;
  uint32_t c = 0, h = 1, w = 1;
};

// How many inputs and outputs each supported op may have: checked before any is read (protobuf's
// accessors abort on an index past the end).
struct Arity {
  int min_in, max_in, min_out, max_out;
};
const std::map<std::string, Arity>& arities() {
  static const std::map<std::string, Arity> kArity = {
      {"Transpose", {1, 1, 1, 1}},  {"Constant", {0, 0, 1, 1}},      {"Conv", {2, 3, 1, 1}},
      {"BatchNormalization", {5, 5, 1, 3}},  // a training-mode export adds the statistics
      {"Relu", {1, 1, 1, 1}},       {"Clip", {1, 3, 1, 1}},          {"Add", {2, 2, 1, 1}},
      {"MaxPool", {1, 1, 1, 1}},    {"GlobalAveragePool", {1, 1, 1, 1}},
      {"ReduceMean", {1, 2, 1, 1}},  // opset 18's axes input is refused with its own message
      {"Flatten", {1, 1, 1, 1}},    {"Reshape", {2, 2, 1, 1}},       {"Gemm", {2, 3, 1, 1}},
      {"MatMul", {2, 2, 1, 1}},
  };
  return kArity;
}

std::string counted(int n, const char* what) { return std::to_string(n) + " " + what + (n == 1 ? "" : "s"); }
std::string range(int lo, int hi) { return lo == hi ? std::to_string(lo) : std::to_string(lo) + " to " + std::to_string(hi); }

class Importer {
 public:
  Importer(const onnx::ModelProto& m, std::string file, uint32_t batch)
      : m_(m), g_(m.graph()), file_(std::move(file)), batch_(batch) {}

  OnnxModel run() {
    check_opset();
    for (const auto& t : g_.initializer()) consts_[t.name()] = &t;
    // PyTorch exports a Linear without bias as MatMul(x, Transpose(weight)) unless it folds
    // constants: such a Transpose is a view of the weight, read by the MatMul.
    for (const auto& n : g_.node()) {
      if (n.op_type() == "Transpose" && n.input_size() == 1 && n.output_size() == 1 && consts_.count(n.input(0)) &&
          consts_.at(n.input(0))->dims_size() == 2 && attr_ints(n, "perm", {1, 0}) == std::vector<int64_t>{1, 0}) {
        transposed_[n.output(0)] = consts_.at(n.input(0));
      }
    }
    const Value input = image_input();
    if (g_.output_size() != 1) fail_model("the graph must have one output (the logits), it has " + std::to_string(g_.output_size()));
    values_[g_.input(input_index_).name()] = input;
    const uint32_t classes = count_classes();
    const auto& in = g_.input(input_index_).type().tensor_type().shape();
    try {
      b_ = std::make_unique<ModelBuilder>(model_name(), batch_, dim(in, 2), dim(in, 3), dim(in, 1), classes);
    } catch (const std::invalid_argument& e) {
      fail_model(e.what());  // the input's shape: with the file's name
    }
    values_[g_.input(input_index_).name()].id = b_->input();
    for (int i = 0; i < g_.node_size(); ++i) {
      const onnx::NodeProto& n = g_.node(i);
      node_index_ = i;
      try {
        node(n, i);
      } catch (const std::invalid_argument& e) {
        const std::string what = e.what();
        if (what.rfind(file_ + ":", 0) == 0) throw;
        fail(n, what);
      }
    }
    const auto it = values_.find(g_.output(0).name());
    if (it == values_.end()) fail_model("no node writes the graph's output '" + g_.output(0).name() + "'");
    try {
      out_.graph = b_->finish(it->second.id);
    } catch (const std::invalid_argument& e) {
      fail_model(std::string(e.what()) + " (classes " + std::to_string(classes) + ")");
    }
    return std::move(out_);
  }

 private:
  // Node, input and initializer names are the file's: one_line keeps the message one line.
  [[noreturn]] void fail_model(const std::string& what) const { throw std::invalid_argument(file_ + ": " + one_line(what)); }
  [[noreturn]] void fail(const onnx::NodeProto& n, const std::string& what) const {
    fail_model("node '" + n.name() + "' (" + n.op_type() + "): " + what);
  }

  void check_opset() const {
    int64_t opset = -1;
    for (const auto& o : m_.opset_import()) {
      if (o.domain().empty() || o.domain() == "ai.onnx") opset = o.version();
    }
    if (opset < 0) fail_model("the model imports no opset of the default ONNX domain");
    if (opset < kMinOpset || opset > kMaxOpset) {
      fail_model("opset " + std::to_string(opset) + " is not supported (supported: " + std::to_string(kMinOpset) +
                 " to " + std::to_string(kMaxOpset) + "; torch.onnx.export(..., opset_version=14))");
    }
  }

  uint32_t dim(const onnx::TensorShapeProto& s, int i) const { return static_cast<uint32_t>(s.dim(i).dim_value()); }

  // The one graph input that is not an initializer: a float [N, C, H, W] image; only N may be
  // dynamic (the plan's batch replaces it).
  Value image_input() {
    input_index_ = -1;
    for (int i = 0; i < g_.input_size(); ++i) {
      if (consts_.count(g_.input(i).name())) continue;
      if (input_index_ >= 0) fail_model("the graph has more than one input ('" + g_.input(input_index_).name() + "', '" + g_.input(i).name() + "'); supported: one image");
      input_index_ = i;
    }
    if (input_index_ < 0) fail_model("the graph has no input");
    const auto& v = g_.input(input_index_);
    const std::string what = "input '" + v.name() + "'";
    if (!v.type().has_tensor_type() || v.type().tensor_type().elem_type() != onnx::TensorProto::FLOAT) {
      fail_model(what + " must be a float32 tensor");
    }
    const auto& s = v.type().tensor_type().shape();
    if (!v.type().tensor_type().has_shape() || s.dim_size() != 4) fail_model(what + " must have shape [N, C, H, W]");
    static const char* kDims[] = {"N", "C", "H", "W"};
    for (int i = 1; i < 4; ++i) {
      if (!s.dim(i).has_dim_value()) {
        fail_model("dynamic shapes are not supported: " + what + " dimension " + kDims[i] + " is '" + s.dim(i).dim_param() +
                   "' (export with fixed C, H, W; only N may be dynamic)");
      }
      if (s.dim(i).dim_value() < 1 || s.dim(i).dim_value() > 4096) fail_model(what + " dimension " + kDims[i] + " must be in [1, 4096]");
    }
    return Value{};
  }

  // Classes come from the weight of the Gemm/MatMul that writes the logits.
  uint32_t count_classes() const {
    for (const auto& n : g_.node()) {
      for (const auto& o : n.output()) {
        if (o != g_.output(0).name()) continue;
        bool trans_b = false;
        const onnx::TensorProto* w = nullptr;
        if ((n.op_type() == "Gemm" || n.op_type() == "MatMul") && n.input_size() >= 2) w = fc_weight(n, &trans_b);
        if (!w) fail(n, "the model must end in the Gemm or MatMul that writes the logits (a trailing Softmax belongs in the loss, which we add)");
        const auto& d = w->dims();
        if (d.size() != 2) fail(n, "the weight must be 2-D");
        const int64_t k = d[trans_b ? 0 : 1];
        if (k < 2 || k > 100000) fail(n, "classes must be in [2, 100000], got " + std::to_string(k));
        return static_cast<uint32_t>(k);
      }
    }
    fail_model("no node writes the graph's output '" + g_.output(0).name() + "'");
  }

  std::string model_name() const {
    std::string base = file_.substr(file_.find_last_of('/') + 1);
    base = base.substr(0, base.rfind(".onnx") == std::string::npos ? base.size() : base.rfind(".onnx"));
    std::string s = identifier_fragment(base);
    if (s.empty() || std::isdigit(static_cast<unsigned char>(s[0]))) s = "m" + s;
    return s;  // names C++ symbols in the generated plan
  }

  // --- attributes ---
  const onnx::AttributeProto* attr(const onnx::NodeProto& n, const char* name) const {
    for (const auto& a : n.attribute()) {
      if (a.name() == name) return &a;
    }
    return nullptr;
  }
  int64_t attr_int(const onnx::NodeProto& n, const char* name, int64_t fallback) const {
    const auto* a = attr(n, name);
    return a ? a->i() : fallback;
  }
  float attr_float(const onnx::NodeProto& n, const char* name, float fallback) const {
    const auto* a = attr(n, name);
    return a ? a->f() : fallback;
  }
  std::vector<int64_t> attr_ints(const onnx::NodeProto& n, const char* name, std::vector<int64_t> fallback) const {
    const auto* a = attr(n, name);
    return a ? std::vector<int64_t>(a->ints().begin(), a->ints().end()) : fallback;
  }
  void allow_attrs(const onnx::NodeProto& n, std::set<std::string> known) const {
    for (const auto& a : n.attribute()) {
      if (!known.count(a.name())) {
        std::string list;
        for (const auto& k : known) list += (list.empty() ? "" : ", ") + k;
        fail(n, "attribute '" + a.name() + "' is not supported (supported: " + (list.empty() ? "none" : list) + ")");
      }
    }
  }

  // --- inputs ---
  const Value& act(const onnx::NodeProto& n, int slot) const {
    if (slot >= n.input_size()) fail(n, "needs input " + std::to_string(slot));
    const auto it = values_.find(n.input(slot));
    if (it == values_.end()) {
      fail(n, "reads '" + n.input(slot) + "', which is not the image or the output of an earlier supported node");
    }
    return it->second;
  }
  const onnx::TensorProto* constant(const onnx::NodeProto& n, int slot) const {
    if (slot >= n.input_size() || n.input(slot).empty()) return nullptr;
    const auto it = consts_.find(n.input(slot));
    if (it == consts_.end()) fail(n, "input '" + n.input(slot) + "' must be an initializer (weights are constants)");
    return it->second;
  }
  std::vector<uint32_t> dims_of(const onnx::TensorProto& t) const {
    return std::vector<uint32_t>(t.dims().begin(), t.dims().end());
  }
  // Records where an initializer goes and its values in our layout.
  void bind(const onnx::NodeProto& n, const std::string& tensor, const onnx::TensorProto* t, OnnxLayout layout,
            std::vector<uint32_t> want, const Value& flat = {}) {
    OnnxBinding bd{tensor, t ? t->name() : "", layout, want, flat.c, flat.h, flat.w, node_index_};
    if (t) {
      if (!used_.insert(t->name()).second) fail(n, "initializer '" + t->name() + "' is shared with another node (not supported)");
      if (dims_of(*t) != want) {
        std::string d;
        for (uint32_t x : want) d += (d.empty() ? "" : ", ") + std::to_string(x);
        fail(n, "initializer '" + t->name() + "' should have shape [" + d + "]");
      }
      out_.weights[tensor] = onnx_to_ours(bd, tensor_floats(*t, "initializer '" + t->name() + "'"));
    } else {
      out_.weights[tensor].assign(layout == OnnxLayout::Same ? want[0] : 0, 0.0f);
    }
    out_.bindings.push_back(std::move(bd));
  }
  // Layer names: PyTorch's module path from the weight ("layer1.0.conv1.weight" -> "layer1.0.conv1"),
  // else the node's name; unique, since parameter names derive from them.
  std::string layer_name(const onnx::NodeProto& n, int index, const onnx::TensorProto* weight) {
    std::string s;
    if (weight && weight->name().size() > 7 && weight->name().rfind(".weight") == weight->name().size() - 7) {
      s = weight->name().substr(0, weight->name().size() - 7);
    } else if (!n.name().empty()) {
      s = n.name();
      while (!s.empty() && s[0] == '/') s.erase(0, 1);
      for (char& ch : s) ch = ch == '/' ? '.' : ch;
    }
    s = sanitize_name(s);
    if (s.empty()) s = sanitize_name(n.op_type()) + "_" + std::to_string(index);
    if (const std::string bad = name_problem("layer name", s); !bad.empty()) fail(n, bad);
    for (std::string base = s; !names_.insert(s).second;) s = base + "_" + std::to_string(index);
    return s;
  }
  // node() checked the output count (arities()).
  void define(const onnx::NodeProto& n, Value v) { values_[n.output(0)] = v; }
  uint32_t dim_of(TensorId id, int i) const { return b_->shape(id)[static_cast<size_t>(i)]; }
  Value flat_of(const Value& v) const {
    if (v.flat) return v;
    return Value{v.id, true, dim_of(v.id, 3), dim_of(v.id, 1), dim_of(v.id, 2)};
  }
  // Pads may be 0; kernels and strides at least 1.
  uint32_t window(const onnx::NodeProto& n, const char* what, const std::vector<int64_t>& v, size_t count) const {
    const int64_t lo = std::string(what) == "pads" ? 0 : 1;
    bool same = v.size() == count;
    for (int64_t x : v) same = same && x == v[0] && x >= lo && x <= 64;
    if (!same) {
      fail(n, std::string(what) + " must hold " + std::to_string(count) + " equal values in [" + std::to_string(lo) +
                  ", 64] (supported: square windows, the same padding on all sides)");
    }
    return static_cast<uint32_t>(v[0]);
  }

  // --- ops ---
  void node(const onnx::NodeProto& n, int index) {
    if (!n.domain().empty() && n.domain() != "ai.onnx") fail(n, "domain '" + n.domain() + "' is not supported (supported: the default ONNX domain)");
    const std::string& op = n.op_type();
    const auto arity = arities().find(op);
    if (arity == arities().end()) fail(n, "operator not supported (supported: " + std::string(kOps) + ")");
    const Arity& ar = arity->second;
    if (n.input_size() < ar.min_in || n.input_size() > ar.max_in) {
      fail(n, "has " + counted(n.input_size(), "input") + " (supported: " + range(ar.min_in, ar.max_in) + ")");
    }
    if (n.output_size() < ar.min_out || n.output_size() > ar.max_out) {
      fail(n, "has " + counted(n.output_size(), "output") + " (supported: " + range(ar.min_out, ar.max_out) + ")");
    }
    if (op == "Transpose" && transposed_.count(n.output(0))) {
      allow_attrs(n, {"perm"});  // read by its MatMul/Gemm
    } else if (op == "Constant") {
      allow_attrs(n, {"value"});
      const auto* a = attr(n, "value");
      if (!a || !a->has_t()) fail(n, "supported: a tensor 'value'");
      consts_[n.output(0)] = &a->t();
    } else if (op == "Conv") {
      conv(n, index);
    } else if (op == "BatchNormalization") {
      batchnorm(n, index);
    } else if (op == "Relu") {
      allow_attrs(n, {});
      define(n, {b_->relu(layer_name(n, index, nullptr), act(n, 0).id)});
    } else if (op == "Clip") {
      clip(n, index);
    } else if (op == "Add") {
      allow_attrs(n, {});
      const Value& a = act(n, 0);
      const Value& c = act(n, 1);
      if (a.flat != c.flat) fail(n, "the two inputs must have the same shape");
      define(n, {b_->add(layer_name(n, index, nullptr), a.id, c.id), a.flat, a.c, a.h, a.w});
    } else if (op == "MaxPool") {
      allow_attrs(n, {"kernel_shape", "strides", "pads", "ceil_mode", "dilations", "storage_order", "auto_pad"});
      const Value& x = act(n, 0);
      if (x.flat) fail(n, "the input must be [N, C, H, W]");
      if (attr_int(n, "ceil_mode", 0) != 0 || attr_int(n, "storage_order", 0) != 0) fail(n, "ceil_mode and storage_order must be 0");
      if (attr(n, "auto_pad") && attr(n, "auto_pad")->s() != "NOTSET") fail(n, "auto_pad is not supported (give explicit pads)");
      if (attr_ints(n, "dilations", {1, 1}) != std::vector<int64_t>{1, 1}) fail(n, "dilations are not supported (supported: 1, i.e. none)");
      const uint32_t k = window(n, "kernel_shape", attr_ints(n, "kernel_shape", {}), 2);
      const uint32_t s = window(n, "strides", attr_ints(n, "strides", {1, 1}), 2);
      const uint32_t p = window(n, "pads", attr_ints(n, "pads", {0, 0, 0, 0}), 4);
      define(n, {b_->maxpool(layer_name(n, index, nullptr), x.id, k, s, p)});
    } else if (op == "GlobalAveragePool" || op == "ReduceMean") {
      allow_attrs(n, op == "ReduceMean" ? std::set<std::string>{"axes", "keepdims"} : std::set<std::string>{});
      const Value& x = act(n, 0);
      if (x.flat) fail(n, "the input must be [N, C, H, W]");
      if (op == "ReduceMean") {
        auto axes = attr_ints(n, "axes", {});
        for (int64_t& a : axes) a = a < 0 ? a + 4 : a;
        if (n.input_size() > 1 || (axes != std::vector<int64_t>{2, 3} && axes != std::vector<int64_t>{3, 2})) {
          fail(n, "supported: the mean over H and W (axes [2, 3]) as an attribute");
        }
      }
      Value v{b_->global_avgpool(layer_name(n, index, nullptr), x.id)};
      if (op == "ReduceMean" && attr_int(n, "keepdims", 1) == 0) v = flat_of(v);
      define(n, v);
    } else if (op == "Flatten") {
      allow_attrs(n, {"axis"});
      if (attr_int(n, "axis", 1) != 1) fail(n, "supported: axis 1 ([N, C*H*W])");
      define(n, flat_of(act(n, 0)));
    } else if (op == "Reshape") {
      reshape(n);
    } else if (op == "Gemm" || op == "MatMul") {
      fc(n, index);
    } else {
      fail(n, "operator not supported (supported: " + std::string(kOps) + ")");
    }
  }

  void conv(const onnx::NodeProto& n, int index) {
    allow_attrs(n, {"kernel_shape", "strides", "pads", "dilations", "group", "auto_pad"});
    const Value& x = act(n, 0);
    const onnx::TensorProto* w = constant(n, 1);
    const onnx::TensorProto* bias = constant(n, 2);
    if (x.flat) fail(n, "the input must be [N, C, H, W]");
    if (!w || w->dims_size() != 4) fail(n, "the weight must be a 4-D initializer [O, I/group, KH, KW]");
    if (attr(n, "auto_pad") && attr(n, "auto_pad")->s() != "NOTSET") fail(n, "auto_pad is not supported (give explicit pads)");
    if (attr_ints(n, "dilations", {1, 1}) != std::vector<int64_t>{1, 1}) fail(n, "dilations are not supported (supported: 1, i.e. none)");
    const int64_t group = attr_int(n, "group", 1);
    const uint32_t in_c = dim_of(x.id, 3);
    const auto wd = dims_of(*w);
    if (group < 1 || group > in_c || static_cast<int64_t>(wd[1]) * group != in_c) {
      fail(n, "group " + std::to_string(group) + " with a weight of " + std::to_string(wd[1]) + " input channels does not match the " + std::to_string(in_c) + " input channels");
    }
    if (wd[0] == 0 || wd[0] > (1u << 16)) fail(n, "output channels must be in [1, 65536]");
    if (wd[2] != wd[3]) fail(n, "kernel " + std::to_string(wd[2]) + "x" + std::to_string(wd[3]) + " is not supported (supported: square kernels)");
    const uint32_t k = window(n, "kernel_shape", attr_ints(n, "kernel_shape", {wd[2], wd[3]}), 2);
    if (k != wd[2]) fail(n, "kernel_shape does not match the weight");
    const uint32_t s = window(n, "strides", attr_ints(n, "strides", {1, 1}), 2);
    const uint32_t p = window(n, "pads", attr_ints(n, "pads", {0, 0, 0, 0}), 4);
    const std::string name = layer_name(n, index, w);
    const TensorId y = b_->conv(name, x.id, wd[0], k, s, p, static_cast<uint32_t>(group), bias != nullptr);
    bind(n, name + ".weight", w, OnnxLayout::ConvOihw, wd);
    if (bias) bind(n, name + ".bias", bias, OnnxLayout::Same, {wd[0]});
    define(n, {y});
  }

  void batchnorm(const onnx::NodeProto& n, int index) {
    allow_attrs(n, {"epsilon", "momentum", "training_mode"});
    const Value& x = act(n, 0);
    if (x.flat) fail(n, "the input must be [N, C, H, W]");
    // Our BatchNorm is PyTorch's default one; ONNX's momentum is 1 - PyTorch's.
    if (std::fabs(attr_float(n, "epsilon", 1e-5f) - 1e-5f) > 1e-9f || std::fabs(attr_float(n, "momentum", 0.9f) - 0.9f) > 1e-6f) {
      fail(n, "epsilon " + std::to_string(attr_float(n, "epsilon", 1e-5f)) + ", momentum " + std::to_string(attr_float(n, "momentum", 0.9f)) +
                  " are not supported (supported: PyTorch's defaults, epsilon 1e-5, momentum 0.9)");
    }
    const onnx::TensorProto* t[4];
    for (int i = 0; i < 4; ++i) {
      t[i] = constant(n, i + 1);
      if (!t[i]) fail(n, "needs scale, bias, mean and variance initializers");
    }
    const std::string name = layer_name(n, index, t[0]);
    const uint32_t c = dim_of(x.id, 3);
    const TensorId y = b_->batchnorm(name, x.id);
    bind(n, name + ".weight", t[0], OnnxLayout::Same, {c});
    bind(n, name + ".bias", t[1], OnnxLayout::Same, {c});
    bind(n, name + ".running_mean", t[2], OnnxLayout::Same, {c});
    bind(n, name + ".running_var", t[3], OnnxLayout::Same, {c});
    define(n, {y});  // a training-mode export adds the updated statistics as outputs; unused
  }

  float scalar(const onnx::NodeProto& n, int slot, float fallback) const {
    const onnx::TensorProto* t = constant(n, slot);
    if (!t) return fallback;
    const std::vector<float> v = tensor_floats(*t, "input '" + n.input(slot) + "'");
    if (v.size() != 1) fail(n, "input '" + n.input(slot) + "' must be a scalar");
    return v[0];
  }

  void clip(const onnx::NodeProto& n, int index) {
    allow_attrs(n, {});
    const float lo = scalar(n, 1, -INFINITY), hi = scalar(n, 2, INFINITY);
    const Value& x = act(n, 0);
    const std::string name = layer_name(n, index, nullptr);
    if (lo == 0.0f && hi == 6.0f) {
      define(n, {b_->relu6(name, x.id), x.flat, x.c, x.h, x.w});
    } else if (lo == 0.0f && std::isinf(hi)) {
      define(n, {b_->relu(name, x.id), x.flat, x.c, x.h, x.w});
    } else {
      fail(n, "Clip(" + std::to_string(lo) + ", " + std::to_string(hi) + ") is not supported (supported: Clip(0, 6) = ReLU6, Clip(0) = ReLU)");
    }
  }

  void reshape(const onnx::NodeProto& n) {
    allow_attrs(n, {"allowzero"});
    const Value v = flat_of(act(n, 0));
    const onnx::TensorProto* t = constant(n, 1);
    if (!t) fail(n, "needs a constant shape");
    const std::vector<int64_t> s = tensor_int64s(*t, "shape '" + n.input(1) + "'");
    const int64_t features = static_cast<int64_t>(v.c) * v.h * v.w;
    if (s.size() != 2 || (s[1] != features && !(s[1] == -1 && s[0] != -1))) {
      fail(n, "supported: a reshape to [N, C*H*W] (use torch.flatten(x, 1))");
    }
    define(n, v);
  }

  // Gemm/MatMul's B: an initializer, or the Transpose of one; *trans_b: B is [out][in].
  const onnx::TensorProto* fc_weight(const onnx::NodeProto& n, bool* trans_b) const {
    *trans_b = n.op_type() == "Gemm" && attr_int(n, "transB", 0) != 0;
    const auto t = transposed_.find(n.input(1));
    if (t == transposed_.end()) return constant(n, 1);
    *trans_b = !*trans_b;
    return t->second;
  }

  void fc(const onnx::NodeProto& n, int index) {
    const bool gemm = n.op_type() == "Gemm";
    allow_attrs(n, gemm ? std::set<std::string>{"alpha", "beta", "transA", "transB"} : std::set<std::string>{});
    if (gemm && (attr_float(n, "alpha", 1) != 1 || attr_float(n, "beta", 1) != 1 || attr_int(n, "transA", 0) != 0)) {
      fail(n, "supported: alpha 1, beta 1, transA 0");
    }
    const Value x = flat_of(act(n, 0));
    bool trans_b = false;
    const onnx::TensorProto* w = fc_weight(n, &trans_b);
    const onnx::TensorProto* bias = gemm ? constant(n, 2) : nullptr;
    if (!w || w->dims_size() != 2) fail(n, "the weight must be a 2-D initializer");
    const auto wd = dims_of(*w);
    const uint32_t in = wd[trans_b ? 1 : 0], out = wd[trans_b ? 0 : 1];
    if (out == 0 || out > (1u << 20)) fail(n, "outputs must be in [1, 1048576]");
    if (static_cast<uint64_t>(x.c) * x.h * x.w != in) {
      fail(n, "the weight expects " + std::to_string(in) + " features, the input has " + std::to_string(x.c * x.h * x.w));
    }
    const std::string name = layer_name(n, index, w);
    const TensorId y = b_->fc(name, x.id, out);
    bind(n, name + ".weight", w, trans_b ? OnnxLayout::FcOutIn : OnnxLayout::FcInOut, wd, x);
    bind(n, name + ".bias", bias, OnnxLayout::Same, {out});
    define(n, {y, true, out, 1, 1});
  }

  const onnx::ModelProto& m_;
  const onnx::GraphProto& g_;
  std::string file_;
  uint32_t batch_;
  int input_index_ = -1, node_index_ = -1;
  std::map<std::string, const onnx::TensorProto*> consts_, transposed_;
  std::map<std::string, Value> values_;
  std::set<std::string> names_, used_;
  std::unique_ptr<ModelBuilder> b_;
  OnnxModel out_;
};

}  // namespace

OnnxModel parse_onnx(const std::string& bytes, const std::string& filename, uint32_t batch) {
  const onnx::ModelProto m = parse_model_proto(bytes, filename);
  return Importer(m, filename, batch).run();
}

std::string read_binary_file(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  if (!f) throw std::invalid_argument("cannot read '" + path + "': " + std::strerror(errno));
  std::ostringstream s;
  s << f.rdbuf();
  return s.str();
}

OnnxModel load_onnx(const std::string& path, uint32_t batch) { return parse_onnx(read_binary_file(path), path, batch); }

}  // namespace edgetrain::planner
