#include "graph/model_builder.h"

#include <cmath>
#include <cstdlib>
#include <stdexcept>
#include <utility>

#include "window.h"

namespace edgetrain::planner {

namespace {

void require(bool ok, const std::string& what) {
  if (!ok) throw std::invalid_argument(what);
}

uint16_t u16(uint32_t v, const std::string& what) {
  require(v <= 0xffff, what + " is too large");
  return static_cast<uint16_t>(v);
}

// A dimension computed in 64 bits, as the plan's uint32 shape holds it.
uint32_t dim(uint64_t v, const std::string& what) {
  require(v >= 1 && v <= 0xffffffffu, what + " is " + std::to_string(v) + " (a dimension is 1 to 4294967295)");
  return static_cast<uint32_t>(v);
}

std::string shape_text(const std::vector<uint32_t>& s) {
  std::string out = "[";
  for (size_t i = 0; i < s.size(); ++i) out += (i ? ", " : "") + std::to_string(s[i]);
  return out + "]";
}

// Output extent of a window along one axis, refusing a window larger than the padded input.
// `window`: "kernel" (conv) or "window" (pooling), as messages say; ceil_mode: pooling's.
uint32_t window_extent(const std::string& name, const char* window, uint32_t in, uint32_t kernel,
                       uint32_t stride, uint32_t pad, bool ceil_mode = false) {
  require(kernel >= 1 && stride >= 1, name + ": kernel and stride must be at least 1");
  require(uint64_t{in} + 2 * uint64_t{pad} >= kernel, name + ": " + window + " larger than the padded input");
  return dim(pool_out_extent(in, kernel, stride, pad, pad, ceil_mode), name + ": output extent");
}

// The salt that keeps this dropout's masks apart from every other's: FNV-1a (32 bits) of its name,
// so it survives re-ordering the model and is the same wherever the model is built.
uint32_t dropout_salt_of(const std::string& name) {
  uint32_t h = 0x811c9dc5u;
  for (unsigned char ch : name) h = (h ^ ch) * 0x01000193u;
  return h;
}

}  // namespace

void disable_dropout(Graph& g) {
  for (Op& op : g.forward) {
    if (op.kind == OpKind::Dropout) set_dropout(op.params, 0.0f, dropout_salt(op.params));
  }
}

void set_input_normalization(Graph& g, const std::vector<float>& mean, const std::vector<float>& std) {
  const uint32_t channels = g.at(g.input).shape.back();
  require(channels <= kMaxNormChannels, "--normalize gives per-channel values for at most " +
                                            std::to_string(kMaxNormChannels) + " channels; the input has " +
                                            std::to_string(channels));
  require(mean.size() == channels && std.size() == channels,
          "--normalize gives " + std::to_string(mean.size()) + " means and " + std::to_string(std.size()) +
              " stds, the input has " + std::to_string(channels) + " channels");
  for (float s : std) require(s > 0 && s < 1e30f, "--normalize: every std must be positive and finite");
  for (float m : mean) require(m > -1e30f && m < 1e30f, "--normalize: every mean must be finite");
  for (Op& op : g.forward) {
    if (op.kind != OpKind::Normalize || op.in[0] != g.input) continue;
    for (uint32_t c = 0; c < channels; ++c) op.params.norm_mean[c] = mean[c], op.params.norm_std[c] = std[c];
    return;
  }
  throw std::logic_error("the graph has no Normalize op reading its input");
}

void parse_normalization(const std::string& text, std::vector<float>* mean, std::vector<float>* std) {
  const auto fail = [&] {
    throw std::invalid_argument("--normalize is MEAN,...:STD,... (one of each per input channel, e.g. "
                                "0.485,0.456,0.406:0.229,0.224,0.225), got '" + text + "'");
  };
  const size_t colon = text.find(':');
  if (colon == std::string::npos) fail();
  const auto numbers = [&](const std::string& part, std::vector<float>* out) {
    out->clear();
    size_t start = 0;
    for (;;) {
      const size_t comma = part.find(',', start);
      const std::string item = part.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
      // Digits, one optional '.', an optional leading '-': no spaces, hex, exponents or "inf".
      const bool plain = !item.empty() && item.find_first_not_of("-.0123456789") == std::string::npos &&
                         item.find('-', 1) == std::string::npos && item.find('.') == item.rfind('.') &&
                         item.find_first_of("0123456789") != std::string::npos;
      if (!plain || out->size() == kMaxNormChannels) fail();
      out->push_back(std::strtof(item.c_str(), nullptr));
      if (comma == std::string::npos) return;
      start = comma + 1;
    }
  };
  numbers(text.substr(0, colon), mean);
  numbers(text.substr(colon + 1), std);
  if (mean->size() != std->size()) fail();
}

ModelBuilder::ModelBuilder(std::string model, uint32_t batch, uint32_t height, uint32_t width,
                           uint32_t channels, uint32_t classes)
    : classes_(classes) {
  require(batch > 0, "batch must be positive");
  require(height > 0 && width > 0 && channels > 0, "the input's height, width and channels must be positive");
  require(classes > 0, "classes must be positive");
  g_.model = std::move(model);
  g_.batch = batch;
  g_.input = tensor({"input", Role::Input, DType::U8, Init::None, {batch, height, width, channels}});
  g_.labels = tensor({"labels", Role::Label, DType::I32, Init::None, {batch}});
  // The batch stays bytes all step; the floats are an activation like any other, recomputed
  // from the bytes when the plan drops them.
  // Per-channel values for up to kMaxNormChannels channels; wider inputs share the first
  // channel's (the runtime reads only it then).
  Op op{OpKind::Normalize, {g_.input}, {activation("input.normalized", {batch, height, width, channels})}};
  for (uint32_t c = 0; c < std::min<uint32_t>(channels, kMaxNormChannels); ++c) {
    op.params.norm_mean[c] = channels == 3 ? kImageNetMean[c] : kImageMean;
    op.params.norm_std[c] = channels == 3 ? kImageNetStd[c] : kImageStd;
  }
  push(op);
  image_ = op.out[0];
}

std::vector<uint32_t> ModelBuilder::input_shape(const std::string& name, const char* layer, TensorId x,
                                                size_t rank) const {
  require(x >= 0 && static_cast<size_t>(x) < g_.tensors.size(), name + ": input tensor " + std::to_string(x) + " does not exist");
  const Tensor& t = g_.at(x);
  // What the runtime's kernels take: NHWC activations, or [N, features] after a fully connected.
  const bool ok = rank == 0 ? t.shape.size() == 2 || t.shape.size() == 4 : t.shape.size() == rank;
  if (!ok) {
    throw std::invalid_argument(name + " (" + layer + ") needs a " +
                                (rank == 4 ? "4-D input [N, H, W, C]" : rank == 0 ? "2-D or 4-D input" : "2-D input") +
                                ", got " + shape_text(t.shape) + " from '" + t.name + "'");
  }
  return t.shape;  // a copy: adding tensors may move the vector
}

void ModelBuilder::push(Op op) {
  require(g_.forward.size() < kMaxLayers, "the model has more than " + std::to_string(kMaxLayers) +
                                              " layers (the planner's limit, graph/model_builder.h)");
  g_.forward.push_back(std::move(op));
}

TensorId ModelBuilder::tensor(Tensor t) {
  // Element counts in 64 bits: each factor is below 2^32 and the product is checked before it
  // could pass 2^64 (kMaxTensorBytes is far below).
  uint64_t elements = 1;
  for (uint32_t d : t.shape) {
    require(d >= 1, t.name + ": shape " + shape_text(t.shape) + " has a zero dimension");
    require(elements <= kMaxTensorBytes / d, t.name + ": shape " + shape_text(t.shape) + " is larger than " +
                                                 std::to_string(kMaxTensorBytes) + " bytes (no device holds it)");
    elements *= d;
  }
  require(tensor_bytes(t.dtype, elements) <= kMaxTensorBytes,
          t.name + ": shape " + shape_text(t.shape) + " is larger than " + std::to_string(kMaxTensorBytes) +
              " bytes (no device holds it)");
  return g_.add(std::move(t));
}

TensorId ModelBuilder::activation(const std::string& name, std::vector<uint32_t> shape) {
  return tensor({name, Role::Activation, DType::F32, Init::None, std::move(shape)});
}

TensorId ModelBuilder::param(const std::string& name, std::vector<uint32_t> shape, Init init,
                             uint32_t fan_in) {
  Tensor t{name, Role::Param, DType::F32, init, std::move(shape)};
  t.fan_in = fan_in;
  return tensor(std::move(t));
}

TensorId ModelBuilder::conv(const std::string& name, TensorId x, uint32_t out_c, uint32_t kernel,
                            uint32_t stride, uint32_t pad, uint32_t groups, bool bias) {
  const auto s = input_shape(name, "conv", x, 4);
  const uint32_t in_c = s[3];
  require(out_c >= 1, name + ": output channels must be at least 1");
  require(groups > 0 && in_c % groups == 0 && out_c % groups == 0,
          name + ": channels must be multiples of groups");
  const uint32_t oh = window_extent(name, "kernel", s[1], kernel, stride, pad);
  const uint32_t ow = window_extent(name, "kernel", s[2], kernel, stride, pad);
  const uint32_t fan_in = dim(uint64_t{in_c / groups} * kernel * kernel, name + ": fan-in");
  Op op{OpKind::Conv2d, {}, {}};
  op.in = {x, param(name + ".weight", {out_c, kernel, kernel, in_c / groups}, Init::UniformFanIn, fan_in),
           bias ? param(name + ".bias", {out_c}, Init::UniformFanIn, fan_in) : kNoTensor};
  op.out = {activation(name, {s[0], oh, ow, out_c})};
  op.params.kernel_h = op.params.kernel_w = u16(kernel, name + " kernel");
  op.params.stride_h = op.params.stride_w = u16(stride, name + " stride");
  op.params.pad_top = op.params.pad_left = op.params.pad_bottom = op.params.pad_right =
      u16(pad, name + " padding");
  op.params.groups = groups;
  push(op);
  return op.out[0];
}

TensorId ModelBuilder::batchnorm(const std::string& name, TensorId x, float eps, float momentum) {
  const auto s = input_shape(name, "batchnorm", x, 4);
  const uint32_t c = s[3];
  Op op{OpKind::BatchNormTrain, {}, {}};
  op.in = {x, param(name + ".weight", {c}, Init::Ones), param(name + ".bias", {c}, Init::Zeros),
           tensor({name + ".running_mean", Role::RunningStat, DType::F32, Init::Zeros, {c}}),
           tensor({name + ".running_var", Role::RunningStat, DType::F32, Init::Ones, {c}})};
  op.out = {activation(name, s), activation(name + ".mean", {c}), activation(name + ".var", {c})};
  require(eps > 0 && eps < 1 && momentum >= 0 && momentum <= 1,
          name + ": batchnorm eps must be in (0, 1) and momentum in [0, 1]");
  op.params.eps = eps;
  op.params.momentum = momentum;
  op.params.update_running_stats = 1;
  push(op);
  return op.out[0];
}

TensorId ModelBuilder::mask(const std::string& name, std::vector<uint32_t> shape, DType dtype) {
  return tensor({name, Role::Activation, dtype, Init::None, std::move(shape)});
}

TensorId ModelBuilder::relu(const std::string& name, TensorId x) {
  const auto s = input_shape(name, "relu", x, 0);
  Op op{OpKind::Relu, {}, {}};
  op.in = {x};
  op.out = {activation(name, s)};
  op.out.push_back(mask(name + ".mask", s, DType::Bit));
  push(op);
  return op.out[0];
}

TensorId ModelBuilder::relu6(const std::string& name, TensorId x) {
  const auto s = input_shape(name, "relu6", x, 0);
  Op op{OpKind::Relu6, {}, {}};
  op.in = {x};
  op.out = {activation(name, s)};
  op.out.push_back(mask(name + ".mask", s, DType::Bit));
  push(op);
  return op.out[0];
}

TensorId ModelBuilder::unary(const std::string& name, const char* layer, OpKind kind, TensorId x, OpParams params) {
  const auto s = input_shape(name, layer, x, 0);
  Op op{kind, {x}, {activation(name, s)}, params};
  push(op);
  return op.out[0];
}

TensorId ModelBuilder::sigmoid(const std::string& name, TensorId x) {
  return unary(name, "sigmoid", OpKind::Sigmoid, x);
}

TensorId ModelBuilder::hard_sigmoid(const std::string& name, TensorId x, float alpha, float beta) {
  require(std::isfinite(alpha) && std::isfinite(beta), name + ": hard_sigmoid's alpha and beta must be finite");
  OpParams p{};
  set_hard_sigmoid(p, alpha, beta);
  return unary(name, "hard_sigmoid", OpKind::HardSigmoid, x, p);
}

TensorId ModelBuilder::hard_swish(const std::string& name, TensorId x) {
  return unary(name, "hard_swish", OpKind::HardSwish, x);
}

TensorId ModelBuilder::mul(const std::string& name, TensorId a, TensorId b) {
  const auto gates = [](const std::vector<uint32_t>& full, const std::vector<uint32_t>& g) {
    return full.size() == 4 && g == std::vector<uint32_t>{full[0], 1, 1, full[3]};
  };
  auto s = input_shape(name, "mul", a, 0), t = input_shape(name, "mul", b, 0);
  if (s != t && gates(t, s)) std::swap(a, b), std::swap(s, t);  // the gate first (scale * input)
  require(t == s || gates(s, t), name + ": mul takes two inputs of one shape, or [N, H, W, C] and [N, 1, 1, C], got " +
                                     shape_text(s) + " and " + shape_text(t));
  Op op{OpKind::Mul, {a, b}, {activation(name, s)}};
  push(op);
  return op.out[0];
}

TensorId ModelBuilder::dropout(const std::string& name, TensorId x, float p) {
  const auto s = input_shape(name, "dropout", x, 0);
  require(p >= 0.0f && p < 1.0f, name + ": dropout's ratio must be in [0, 1), got " + std::to_string(p));
  Op op{OpKind::Dropout, {x}, {activation(name, s)}};
  op.out.push_back(mask(name + ".mask", s, DType::Bit));
  set_dropout(op.params, p, dropout_salt_of(name));
  push(op);
  return op.out[0];
}

TensorId ModelBuilder::add(const std::string& name, TensorId a, TensorId b) {
  const auto s = input_shape(name, "add", a, 0);
  require(s == input_shape(name, "add", b, 0), name + ": the two inputs of an add must have the same shape");
  Op op{OpKind::Add, {}, {}};
  op.in = {a, b};
  op.out = {activation(name, s)};
  push(op);
  return op.out[0];
}

// A pooling op's output shape and params (kernel, stride, padding on all four sides, the flags).
Op ModelBuilder::pool(const std::string& name, const char* layer, OpKind kind, TensorId x, uint32_t kernel,
                      uint32_t stride, uint32_t pad, bool ceil_mode, bool count_include_pad) {
  const auto s = input_shape(name, layer, x, 4);
  require(uint64_t{2} * pad <= kernel, name + ": padding must be at most half the kernel (as PyTorch)");
  Op op{kind, {x}, {}};
  op.out = {activation(name, {s[0], window_extent(name, "window", s[1], kernel, stride, pad, ceil_mode),
                              window_extent(name, "window", s[2], kernel, stride, pad, ceil_mode), s[3]})};
  op.params.kernel_h = op.params.kernel_w = u16(kernel, name + " kernel");
  op.params.stride_h = op.params.stride_w = u16(stride, name + " stride");
  op.params.pad_top = op.params.pad_left = op.params.pad_bottom = op.params.pad_right =
      u16(pad, name + " padding");
  set_pool_flags(op.params, ceil_mode, count_include_pad);
  return op;
}

TensorId ModelBuilder::maxpool(const std::string& name, TensorId x, uint32_t kernel,
                               uint32_t stride, uint32_t pad, bool ceil_mode) {
  Op op = pool(name, "maxpool", OpKind::MaxPool2d, x, kernel, stride, pad, ceil_mode, false);
  op.out.push_back(mask(name + ".taps", shape(op.out[0]), DType::U8));
  push(op);
  return op.out[0];
}

TensorId ModelBuilder::avgpool(const std::string& name, TensorId x, uint32_t kernel, uint32_t stride,
                               uint32_t pad, bool ceil_mode, bool count_include_pad) {
  const Op op = pool(name, "avgpool", OpKind::AvgPool2d, x, kernel, stride, pad, ceil_mode, count_include_pad);
  push(op);
  return op.out[0];
}

TensorId ModelBuilder::concat(const std::string& name, const std::vector<TensorId>& xs) {
  require(xs.size() >= 2 && xs.size() <= static_cast<size_t>(kMaxOpInputs),
          name + ": concat takes 2 to " + std::to_string(kMaxOpInputs) + " inputs, got " + std::to_string(xs.size()));
  std::vector<uint32_t> s = input_shape(name, "concat", xs[0], 4);
  uint64_t channels = 0;
  for (TensorId x : xs) {
    const auto t = input_shape(name, "concat", x, 4);
    require(t[0] == s[0] && t[1] == s[1] && t[2] == s[2],
            name + ": concat's inputs must share N, H and W, got " + shape_text(s) + " and " + shape_text(t));
    channels += t[3];
  }
  s[3] = dim(channels, name + ": output channels");
  Op op{OpKind::Concat, xs, {activation(name, s)}};
  push(op);
  return op.out[0];
}

TensorId ModelBuilder::global_avgpool(const std::string& name, TensorId x) {
  const auto s = input_shape(name, "global_avgpool", x, 4);
  Op op{OpKind::GlobalAvgPool, {}, {}};
  op.in = {x};
  op.out = {activation(name, {s[0], 1, 1, s[3]})};
  push(op);
  return op.out[0];
}

TensorId ModelBuilder::fc(const std::string& name, TensorId x, uint32_t out) {
  const auto s = input_shape(name, "fc", x, 0);
  require(out >= 1, name + ": outputs must be at least 1");
  uint64_t features = 1;  // 64 bits: [4096, 4096, 256] is 2^32 features, 0 in 32 bits
  for (size_t i = 1; i < s.size(); ++i) features *= s[i];
  const uint32_t in = dim(features, name + ": input features (" + shape_text(s) + " flattened)");
  Op op{OpKind::FullyConnected, {}, {}};
  op.in = {x, param(name + ".weight", {out, in}, Init::UniformFanIn, in),
           param(name + ".bias", {out}, Init::UniformFanIn, in)};
  op.out = {activation(name, {s[0], out})};
  push(op);
  return op.out[0];
}

TensorId ModelBuilder::channel_shuffle(const std::string& name, TensorId x, uint32_t groups) {
  const auto s = input_shape(name, "channel_shuffle", x, 4);
  require(groups >= 1 && s[3] % groups == 0, name + ": groups (" + std::to_string(groups) +
                                                 ") must divide the channels (" + std::to_string(s[3]) + ")");
  Op op{OpKind::ChannelShuffle, {x}, {activation(name, s)}};
  op.params.groups = groups;
  push(op);
  return op.out[0];
}

TensorId ModelBuilder::channel_slice(const std::string& name, TensorId x, uint32_t begin, uint32_t end) {
  const auto s = input_shape(name, "channel_slice", x, 4);
  require(begin < end && end <= s[3], name + ": channels [" + std::to_string(begin) + ", " + std::to_string(end) +
                                          ") are not a non-empty range of the input's " + std::to_string(s[3]));
  Op op{OpKind::ChannelSlice, {x}, {activation(name, {s[0], s[1], s[2], end - begin})}};
  set_channel_slice(op.params, begin, end);
  push(op);
  return op.out[0];
}

Graph ModelBuilder::finish(TensorId logits) {
  const auto s = input_shape("the last layer", "loss", logits, 0);
  require((s.size() == 2 && s[1] == classes_) || (s.size() == 4 && s[1] == 1 && s[2] == 1 && s[3] == classes_),
          "the last layer must output [batch, classes]");
  g_.logits = logits;
  g_.loss = activation("loss", {1});
  Op op{OpKind::SoftmaxCrossEntropy, {}, {}};
  op.in = {logits, g_.labels};
  op.out = {g_.loss, activation("probs", s)};
  push(op);
  return std::move(g_);
}

}  // namespace edgetrain::planner
