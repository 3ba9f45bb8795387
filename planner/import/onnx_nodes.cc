// The ONNX ops the importer maps onto ModelBuilder calls: one handler and one kOnnxOps row each.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>

#include "import/onnx_importer.h"

namespace edgetrain::planner::onnx_detail {

namespace {

// clang-format off
constexpr OnnxOp kOnnxOps[] = {
    // op_type               inputs  outputs  handler
    {"Conv",                 2, 3,   1, 1,    &Importer::conv},
    {"BatchNormalization",   5, 5,   1, 5,    &Importer::batchnorm},  // a training export adds statistics
    {"Relu",                 1, 1,   1, 1,    &Importer::relu},
    {"Clip",                 1, 3,   1, 1,    &Importer::clip},
    {"Add",                  2, 2,   1, 1,    &Importer::add},
    {"MaxPool",              1, 1,   1, 1,    &Importer::pool},
    {"AveragePool",          1, 1,   1, 1,    &Importer::pool},
    {"GlobalAveragePool",    1, 1,   1, 1,    &Importer::global_pool},
    {"ReduceMean",           1, 2,   1, 1,    &Importer::global_pool},  // opset 18's axes input: refused
    {"Flatten",              1, 1,   1, 1,    &Importer::flatten},
    {"Reshape",              2, 2,   1, 1,    &Importer::reshape},
    {"Gemm",                 2, 3,   1, 1,    &Importer::fc},
    {"MatMul",               2, 2,   1, 1,    &Importer::fc},
    {"Identity",             1, 1,   1, 1,    &Importer::identity},
    {"Transpose",            1, 1,   1, 1,    &Importer::transpose},
    {"Shape",                1, 1,   1, 1,    &Importer::shape},
    {"Dropout",              1, 3,   1, 2,    &Importer::dropout},
    {"Sigmoid",              1, 1,   1, 1,    &Importer::activation},
    {"HardSigmoid",          1, 1,   1, 1,    &Importer::activation},
    {"HardSwish",            1, 1,   1, 1,    &Importer::activation},
    {"Mul",                  2, 2,   1, 1,    &Importer::mul},
    {"Slice",                3, 5,   1, 1,    &Importer::slice},
    {"Split",                1, 2,   1, 64,   &Importer::split},
    {"Concat",               1, 4096, 1, 1, &Importer::concat},  // of activations: constants fold
    {"Pad",                  2, 3,   1, 1,    &Importer::pad},  // ahead of an AveragePool
};
// clang-format on

// PyTorch's BatchNorm momentum from ONNX's (running = m * running + (1 - m) * batch): 1 - m, to
// the 6 significant digits a float carries, so ONNX's 0.9 is PyTorch's 0.1 exactly (the float
// every plan has had) and 0.99 is 0.01.
float pytorch_momentum(float onnx_momentum) {
  char text[32];
  std::snprintf(text, sizeof text, "%.6g", 1.0 - static_cast<double>(onnx_momentum));
  return std::strtof(text, nullptr);
}

}  // namespace

const OnnxOp* find_onnx_op(const std::string& op_type) {
  for (const OnnxOp& op : kOnnxOps) {
    if (op_type == op.op_type) return &op;
  }
  return nullptr;
}

std::string supported_onnx_ops() {
  std::string s;
  for (const OnnxOp& op : kOnnxOps) s += std::string(s.empty() ? "" : ", ") + op.op_type;
  return s + "; on constants: " + kFoldedOps;
}

void Importer::identity(const onnx::NodeProto& n, int) {
  allow_attrs(n, {});
  define(n, act(n, 0));
}

// A Transpose of a 2-D weight is a view the Gemm/MatMul reads (PyTorch exports a Linear without
// bias so unless it folds constants); one of a channel shuffle's 5-D view swaps g and C/g.
void Importer::transpose(const onnx::NodeProto& n, int) {
  allow_attrs(n, {"perm"});
  const std::vector<int64_t> perm = attr_ints(n, "perm", {});
  if (const onnx::TensorProto* w = consts_.find(n.input(0))) {
    if (w->dims_size() != 2 || (perm != std::vector<int64_t>{1, 0} && !perm.empty())) {
      fail(n, "supported: the transpose of a 2-D weight, or a channel shuffle's [0, 2, 1, 3, 4]");
    }
    consts_.alias(n.output(0), w);
    transposed_.insert(n.output(0));
    return;
  }
  Value v = act(n, 0);
  if (v.groups == 0 || v.shuffled || perm != std::vector<int64_t>{0, 2, 1, 3, 4}) {
    fail(n, "supported: the transpose of a 2-D weight, or a channel shuffle (Reshape to [N, g, C/g, H, W], "
            "Transpose [0, 2, 1, 3, 4], Reshape to [N, C, H, W])");
  }
  v.shuffled = true;
  define(n, v);
}

void Importer::conv(const onnx::NodeProto& n, int index) {
  allow_attrs(n, {"kernel_shape", "strides", "pads", "dilations", "group", "auto_pad"});
  const Value& x = act(n, 0);
  const onnx::TensorProto* w = constant(n, 1);
  const onnx::TensorProto* bias = constant(n, 2);
  if (x.flat || x.groups) fail(n, "the input must be [N, C, H, W]");
  if (!w || w->dims_size() != 4) fail(n, "the weight must be a 4-D initializer [O, I/group, KH, KW]");
  if (attr(n, "auto_pad") && attr(n, "auto_pad")->s() != "NOTSET") fail(n, "auto_pad is not supported (give explicit pads)");
  refuse_dilation(n);
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
  bind(n, 1, name + ".weight", OnnxLayout::ConvOihw, wd);
  if (bias) {
    bind(n, 2, name + ".bias", OnnxLayout::Same, {wd[0]});
    ++conv_bias_;
  }
  define(n, {y});
}

void Importer::batchnorm(const onnx::NodeProto& n, int index) {
  allow_attrs(n, {"epsilon", "momentum", "training_mode"});
  // A training-mode export adds the running statistics it updated (3 outputs; 5 at opset 14+
  // with the saved batch statistics): we update them ourselves, so they stay unused.
  if (n.output_size() != 1 && n.output_size() != 3 && n.output_size() != 5) {
    fail(n, "has " + std::to_string(n.output_size()) + " outputs (supported: 1, 3 or 5)");
  }
  const Value& x = act(n, 0);
  if (x.flat || x.groups) fail(n, "the input must be [N, C, H, W]");
  const float eps = attr_float(n, "epsilon", 1e-5f), momentum = attr_float(n, "momentum", 0.9f);
  if (!(eps > 0 && eps < 1) || !(momentum >= 0 && momentum <= 1)) {
    fail(n, "epsilon " + std::to_string(eps) + ", momentum " + std::to_string(momentum) +
                " are not supported (supported: epsilon in (0, 1), momentum in [0, 1])");
  }
  const onnx::TensorProto* t[4];
  for (int i = 0; i < 4; ++i) {
    t[i] = constant(n, i + 1);
    if (!t[i]) fail(n, "needs scale, bias, mean and variance initializers");
  }
  const std::string name = layer_name(n, index, t[0]);
  const uint32_t c = dim_of(x.id, 3);
  const TensorId y = b_->batchnorm(name, x.id, eps, pytorch_momentum(momentum));
  bind(n, 1, name + ".weight", OnnxLayout::Same, {c});
  bind(n, 2, name + ".bias", OnnxLayout::Same, {c});
  bind(n, 3, name + ".running_mean", OnnxLayout::Same, {c});
  bind(n, 4, name + ".running_var", OnnxLayout::Same, {c});
  ++batchnorms_;
  define(n, {y});
}

void Importer::relu(const onnx::NodeProto& n, int index) {
  allow_attrs(n, {});
  const Value& x = act(n, 0);
  define(n, like(x, b_->relu(layer_name(n, index, nullptr), x.id)));
}

// Sigmoid, HardSigmoid (ONNX's alpha and beta: PyTorch's nn.Hardsigmoid exports 1/6 and 0.5) and
// HardSwish: element-wise, so any view of the input.
void Importer::activation(const onnx::NodeProto& n, int index) {
  const bool hard_sigmoid = n.op_type() == "HardSigmoid";
  allow_attrs(n, hard_sigmoid ? std::set<std::string>{"alpha", "beta"} : std::set<std::string>{});
  const Value& x = act(n, 0);
  if (x.groups) fail(n, "the input must be [N, C, H, W] or [N, features]");
  const std::string name = layer_name(n, index, nullptr);
  if (hard_sigmoid) {
    const float alpha = attr_float(n, "alpha", 0.2f), beta = attr_float(n, "beta", 0.5f);
    if (!std::isfinite(alpha) || !std::isfinite(beta)) fail(n, "alpha and beta must be finite");
    define(n, like(x, b_->hard_sigmoid(name, x.id, alpha, beta)));
  } else if (n.op_type() == "HardSwish") {
    define(n, like(x, b_->hard_swish(name, x.id)));
  } else {
    define(n, like(x, b_->sigmoid(name, x.id)));
  }
}

// Two activations of one shape (SiLU: x * sigmoid(x)), or a [N, C, H, W] activation and the
// [N, C, 1, 1] gate of a squeeze-and-excitation block, in either order.
void Importer::mul(const onnx::NodeProto& n, int index) {
  allow_attrs(n, {});
  for (int i = 0; i < 2; ++i) {
    if (consts_.find(n.input(i))) fail(n, "input '" + n.input(i) + "' is a constant (supported: the product of two activations)");
  }
  const Value& a = act(n, 0);
  const Value& c = act(n, 1);
  const auto gate = [&](const Value& v, const Value& full) {
    return !v.flat && !full.flat && dim_of(v.id, 1) == 1 && dim_of(v.id, 2) == 1 && dim_of(v.id, 3) == dim_of(full.id, 3);
  };
  const bool same = a.flat == c.flat && b_->shape(a.id) == b_->shape(c.id);
  if (a.groups || c.groups || !(same || gate(a, c) || gate(c, a))) {
    fail(n, "supported: two activations of one shape, or [N, C, H, W] times a [N, C, 1, 1] gate");
  }
  const Value& full = same || gate(c, a) ? a : c;
  define(n, like(full, b_->mul(layer_name(n, index, nullptr), a.id, c.id)));
}

// A channel range of an [N, C, H, W] activation: ShuffleNetV2's split of the channels.
Value Importer::channel_range(const onnx::NodeProto& n, const std::string& name, const Value& x, int64_t begin, int64_t end) {
  if (x.flat || x.groups) fail(n, "the input must be [N, C, H, W]");
  const int64_t c = dim_of(x.id, 3);
  begin = std::clamp<int64_t>(begin < 0 ? begin + c : begin, 0, c);
  end = std::clamp<int64_t>(end < 0 ? end + c : end, 0, c);
  if (begin >= end) fail(n, "the channel range [" + std::to_string(begin) + ", " + std::to_string(end) + ") is empty");
  if (begin == 0 && end == c) return x;
  return Value{b_->channel_slice(name, x.id, static_cast<uint32_t>(begin), static_cast<uint32_t>(end))};
}

int64_t Importer::channel_axis(const onnx::NodeProto& n, int64_t axis) const {
  if (axis != 1 && axis != -3) fail(n, "axis " + std::to_string(axis) + " is not supported (supported: 1, the channels)");
  return 1;
}

// Slice (opset 10+: starts, ends, axes, steps as inputs) of the channel axis, step 1.
void Importer::slice(const onnx::NodeProto& n, int index) {
  allow_attrs(n, {});
  const Value& x = act(n, 0);
  const std::vector<int64_t> starts = ints(n, 1), ends = ints(n, 2);
  const std::vector<int64_t> axes = n.input_size() > 3 ? ints(n, 3) : std::vector<int64_t>{};
  const std::vector<int64_t> steps = n.input_size() > 4 ? ints(n, 4) : std::vector<int64_t>{};
  if (starts.size() != 1 || ends.size() != 1 || axes.size() > 1 || steps.size() > 1 ||
      (!steps.empty() && steps[0] != 1)) {
    fail(n, "supported: one range of the channel axis with step 1");
  }
  channel_axis(n, axes.empty() ? 0 : axes[0]);
  define(n, channel_range(n, layer_name(n, index, nullptr), x, starts[0], ends[0]));
}

// Split of the channel axis into the sizes given (opset 11: attribute; 13+: input) or equal parts.
void Importer::split(const onnx::NodeProto& n, int index) {
  allow_attrs(n, {"axis", "split"});
  const Value& x = act(n, 0);
  channel_axis(n, attr_int(n, "axis", 0));
  if (x.flat || x.groups) fail(n, "the input must be [N, C, H, W]");
  const int64_t c = dim_of(x.id, 3), parts = n.output_size();
  std::vector<int64_t> sizes = n.input_size() > 1 ? ints(n, 1) : attr_ints(n, "split", {});
  if (sizes.empty()) {
    if (c % parts != 0) fail(n, std::to_string(c) + " channels do not split into " + std::to_string(parts) + " equal parts");
    sizes.assign(static_cast<size_t>(parts), c / parts);
  }
  int64_t total = 0;
  bool positive = true;
  for (int64_t s : sizes) {
    positive = positive && s > 0;
    total += positive ? s : 0;
  }
  if (static_cast<int64_t>(sizes.size()) != parts || !positive || total != c) {
    fail(n, "split sizes must be positive, one per output, and sum to the " + std::to_string(c) + " channels");
  }
  const std::string name = layer_name(n, index, nullptr);
  int64_t begin = 0;
  for (int i = 0; i < parts; ++i) {
    values_[n.output(i)] = channel_range(n, name + "_" + std::to_string(i), x, begin, begin + sizes[static_cast<size_t>(i)]);
    begin += sizes[static_cast<size_t>(i)];
  }
}

// Bounds from inputs (opset 11+; the exporter may pass them through Cast, folded by now).
void Importer::clip(const onnx::NodeProto& n, int index) {
  allow_attrs(n, {});
  const float lo = scalar(n, 1, -INFINITY), hi = scalar(n, 2, INFINITY);
  const Value& x = act(n, 0);
  const std::string name = layer_name(n, index, nullptr);
  if (lo == 0.0f && hi == 6.0f) {
    define(n, like(x, b_->relu6(name, x.id)));
  } else if (lo == 0.0f && std::isinf(hi)) {
    define(n, like(x, b_->relu(name, x.id)));
  } else {
    fail(n, "Clip(" + std::to_string(lo) + ", " + std::to_string(hi) + ") is not supported (supported: Clip(0, 6) = ReLU6, Clip(0) = ReLU)");
  }
}

void Importer::add(const onnx::NodeProto& n, int index) {
  allow_attrs(n, {});
  const Value& a = act(n, 0);
  const Value& c = act(n, 1);
  if (a.flat != c.flat || a.groups || c.groups) fail(n, "the two inputs must have the same shape");
  define(n, like(a, b_->add(layer_name(n, index, nullptr), a.id, c.id)));
}

// Concat of activations on the channel axis (SqueezeNet's Fire, ShuffleNetV2's join). One
// input is the identity; more than our op takes (kMaxOpInputs; DenseNet's layers join all the
// block's earlier outputs) become a chain of concats, each taking the last one's output first:
// the same values, with the chain's intermediate outputs in the plan (named NAME.part1, ...).
void Importer::concat(const onnx::NodeProto& n, int index) {
  allow_attrs(n, {"axis"});
  if (!attr(n, "axis")) fail(n, "needs an axis");
  channel_axis(n, attr_int(n, "axis", 1));
  std::vector<TensorId> xs;
  for (int i = 0; i < n.input_size(); ++i) {
    if (consts_.find(n.input(i))) fail(n, "input '" + n.input(i) + "' is a constant (supported: a concat of activations)");
    const Value& x = act(n, i);
    if (x.flat || x.groups) fail(n, "the inputs must be [N, C, H, W]");
    xs.push_back(x.id);  // the builder checks that N, H and W agree
  }
  if (xs.size() == 1) return define(n, act(n, 0));
  const std::string name = layer_name(n, index, nullptr);
  for (int part = 1; xs.size() > kMaxOpInputs; ++part) {
    const std::vector<TensorId> head(xs.begin(), xs.begin() + kMaxOpInputs);
    xs.erase(xs.begin() + 1, xs.begin() + kMaxOpInputs);
    xs[0] = b_->concat(name + ".part" + std::to_string(part), head);
  }
  define(n, {b_->concat(name, xs)});
}

void Importer::flatten(const onnx::NodeProto& n, int) {
  allow_attrs(n, {"axis"});
  if (attr_int(n, "axis", 1) != 1) fail(n, "supported: axis 1 ([N, C*H*W])");
  const Value& x = act(n, 0);
  if (x.groups) fail(n, "the input must be [N, C, H, W]");
  define(n, flat_of(x));
}

// To [N, features]; to a channel shuffle's [N, g, C/g, H, W] and back to [N, C, H, W]. The first
// dimension is the batch whatever the file says (the export's own batch, -1 or 0).
void Importer::reshape(const onnx::NodeProto& n, int index) {
  allow_attrs(n, {"allowzero"});
  const Value& x = act(n, 0);
  const onnx::TensorProto* t = constant(n, 1);
  if (!t) fail(n, "needs a constant shape");
  const std::vector<int64_t> s = tensor_int64s(*t, "shape '" + n.input(1) + "'");
  const std::vector<int64_t> have = onnx_shape(x);
  const auto matches = [&](const std::vector<int64_t>& want) {
    if (s.size() != want.size()) return false;
    for (size_t i = 1; i < s.size(); ++i) {
      if (s[i] != want[i] && !(s[i] == -1 && i == 1)) return false;
    }
    return true;
  };
  if (x.groups == 0 && !x.flat && s.size() == 5 && s[1] > 1 && have[1] % s[1] == 0 &&
      matches({have[0], s[1], have[1] / s[1], have[2], have[3]})) {
    Value v = x;
    v.groups = static_cast<uint32_t>(s[1]);
    define(n, v);
    return;
  }
  if (x.groups) {
    if (!x.shuffled || !matches(have)) fail(n, "supported: a channel shuffle's Reshape back to [N, C, H, W] after its Transpose");
    define(n, {b_->channel_shuffle(layer_name(n, index, nullptr), x.id, x.groups)});
    return;
  }
  if (!x.flat && matches(have)) {
    define(n, x);  // to its own shape
    return;
  }
  const Value v = flat_of(x);
  const int64_t features = static_cast<int64_t>(v.c) * v.h * v.w;
  if (s.size() != 2 || (s[1] != features && !(s[1] == -1 && s[0] != -1))) {
    fail(n, "supported: a reshape to [N, C*H*W] (use torch.flatten(x, 1)), or a channel shuffle's");
  }
  define(n, v);
}

// Gemm/MatMul's B: an initializer, or the Transpose of one; *trans_b: B is [out][in].
const onnx::TensorProto* Importer::fc_weight(const onnx::NodeProto& n, bool* trans_b, int* slot) const {
  *trans_b = (n.op_type() == "Gemm" && attr_int(n, "transB", 0) != 0) != (transposed_.count(n.input(1)) != 0);
  *slot = 1;
  return constant(n, 1);
}

void Importer::fc(const onnx::NodeProto& n, int index) {
  const bool gemm = n.op_type() == "Gemm";
  allow_attrs(n, gemm ? std::set<std::string>{"alpha", "beta", "transA", "transB"} : std::set<std::string>{});
  if (gemm && (attr_float(n, "alpha", 1) != 1 || attr_float(n, "beta", 1) != 1 || attr_int(n, "transA", 0) != 0)) {
    fail(n, "supported: alpha 1, beta 1, transA 0");
  }
  const Value& in = act(n, 0);
  if (in.groups) fail(n, "the input must be [N, features]");
  const Value x = flat_of(in);
  bool trans_b = false;
  int slot = 1;
  const onnx::TensorProto* w = fc_weight(n, &trans_b, &slot);
  const bool bias = gemm && constant(n, 2) != nullptr;
  if (!w || w->dims_size() != 2) fail(n, "the weight must be a 2-D initializer");
  const auto wd = dims_of(*w);
  const uint32_t features = wd[trans_b ? 1 : 0], out = wd[trans_b ? 0 : 1];
  if (out == 0 || out > (1u << 20)) fail(n, "outputs must be in [1, 1048576]");
  if (static_cast<uint64_t>(x.c) * x.h * x.w != features) {
    fail(n, "the weight expects " + std::to_string(features) + " features, the input has " + std::to_string(x.c * x.h * x.w));
  }
  const std::string name = layer_name(n, index, w);
  const TensorId y = b_->fc(name, x.id, out);
  bind(n, slot, name + ".weight", trans_b ? OnnxLayout::FcOutIn : OnnxLayout::FcInOut, wd, x);
  bind(n, bias ? 2 : -1, name + ".bias", OnnxLayout::Same, {out});
  if (!bias) out_.bindings.back().input = 2;  // export adds it as Gemm's C
  define(n, {y, true, out, 1, 1});
}

// The shape of an activation is a constant: the exporter's arithmetic on it folds.
void Importer::shape(const onnx::NodeProto& n, int) {
  allow_attrs(n, {"start", "end"});
  const std::vector<int64_t> s = onnx_shape(act(n, 0));
  const auto r = static_cast<int64_t>(s.size());
  auto at = [&](int64_t i) { return std::min(r, std::max<int64_t>(0, i < 0 ? i + r : i)); };
  const int64_t begin = at(attr_int(n, "start", 0)), end = at(attr_int(n, "end", r));
  consts_.add(n.output(0), int64_constant(n.output(0), std::vector<int64_t>(s.begin() + begin, s.begin() + std::max(begin, end))));
}

// A training export's Dropout is ours (a fresh mask each step); an eval export's, and ratio 0,
// is the identity. From opset 12 on, training_mode (an input) says which; before it, the
// exporter writes Dropout only in a training export (eval drops it). The mask output, if any,
// stays unused.
void Importer::dropout(const onnx::NodeProto& n, int index) {
  allow_attrs(n, {"seed", "ratio"});
  const float ratio = n.input_size() > 1 && !n.input(1).empty() ? scalar(n, 1, 0.5f) : attr_float(n, "ratio", 0.5f);
  const bool training = opset_ < 12 || (n.input_size() > 2 && !n.input(2).empty() && !ints(n, 2).empty() && ints(n, 2)[0] != 0);
  if (!(ratio >= 0 && ratio < 1)) fail(n, "ratio " + std::to_string(ratio) + " is not supported (supported: [0, 1))");
  const Value& x = act(n, 0);
  if (!training || ratio == 0) {
    define(n, x);
    return;
  }
  if (x.groups) fail(n, "the input must be [N, C, H, W] or [N, features]");
  define(n, like(x, b_->dropout(layer_name(n, index, nullptr), x.id, ratio)));
}

}  // namespace edgetrain::planner::onnx_detail
