#include "graph/model_builder.h"

#include <stdexcept>

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

}  // namespace

ModelBuilder::ModelBuilder(std::string model, uint32_t batch, uint32_t height, uint32_t width,
                           uint32_t channels, uint32_t classes)
    : classes_(classes) {
  require(batch > 0, "batch must be positive");
  g_.model = std::move(model);
  g_.batch = batch;
  g_.input = g_.add({"input", Role::Input, DType::U8, Init::None, {batch, height, width, channels}});
  g_.labels = g_.add({"labels", Role::Label, DType::I32, Init::None, {batch}});
  // The batch stays bytes all step; the floats are an activation like any other, recomputed
  // from the bytes when the plan drops them.
  Op op{OpKind::Normalize, {g_.input}, {activation("input.normalized", {batch, height, width, channels})}};
  op.params.norm_mean = kImageMean;
  op.params.norm_std = kImageStd;
  g_.forward.push_back(op);
  image_ = op.out[0];
}

TensorId ModelBuilder::activation(const std::string& name, std::vector<uint32_t> shape) {
  return g_.add({name, Role::Activation, DType::F32, Init::None, std::move(shape)});
}

TensorId ModelBuilder::param(const std::string& name, std::vector<uint32_t> shape, Init init,
                             uint32_t fan_in) {
  Tensor t{name, Role::Param, DType::F32, init, std::move(shape)};
  t.fan_in = fan_in;
  return g_.add(std::move(t));
}

TensorId ModelBuilder::conv(const std::string& name, TensorId x, uint32_t out_c, uint32_t kernel,
                            uint32_t stride, uint32_t pad, uint32_t groups, bool bias) {
  const auto s = shape(x);  // copy: add() may reallocate
  const uint32_t in_c = s[3];
  require(groups > 0 && in_c % groups == 0 && out_c % groups == 0,
          name + ": channels must be multiples of groups");
  require(s[1] + 2 * pad >= kernel && s[2] + 2 * pad >= kernel && stride > 0,
          name + ": kernel larger than the padded input");
  const uint32_t oh = static_cast<uint32_t>(window_out_extent(s[1], kernel, stride, pad, pad));
  const uint32_t ow = static_cast<uint32_t>(window_out_extent(s[2], kernel, stride, pad, pad));
  const uint32_t fan_in = in_c / groups * kernel * kernel;
  Op op{OpKind::Conv2d, {}, {}};
  op.in = {x, param(name + ".weight", {out_c, kernel, kernel, in_c / groups}, Init::UniformFanIn, fan_in),
           bias ? param(name + ".bias", {out_c}, Init::UniformFanIn, fan_in) : kNoTensor};
  op.out = {activation(name, {s[0], oh, ow, out_c})};
  op.params.kernel_h = op.params.kernel_w = u16(kernel, name + " kernel");
  op.params.stride_h = op.params.stride_w = u16(stride, name + " stride");
  op.params.pad_top = op.params.pad_left = op.params.pad_bottom = op.params.pad_right =
      u16(pad, name + " padding");
  op.params.groups = groups;
  g_.forward.push_back(op);
  return op.out[0];
}

TensorId ModelBuilder::batchnorm(const std::string& name, TensorId x) {
  const auto s = shape(x);
  const uint32_t c = s[3];
  Op op{OpKind::BatchNormTrain, {}, {}};
  op.in = {x, param(name + ".weight", {c}, Init::Ones), param(name + ".bias", {c}, Init::Zeros),
           g_.add({name + ".running_mean", Role::RunningStat, DType::F32, Init::Zeros, {c}}),
           g_.add({name + ".running_var", Role::RunningStat, DType::F32, Init::Ones, {c}})};
  op.out = {activation(name, s), activation(name + ".mean", {c}), activation(name + ".var", {c})};
  op.params.eps = 1e-5f;       // PyTorch's defaults
  op.params.momentum = 0.1f;
  op.params.update_running_stats = 1;
  g_.forward.push_back(op);
  return op.out[0];
}

TensorId ModelBuilder::mask(const std::string& name, std::vector<uint32_t> shape, DType dtype) {
  return g_.add({name, Role::Activation, dtype, Init::None, std::move(shape)});
}

TensorId ModelBuilder::relu(const std::string& name, TensorId x) {
  Op op{OpKind::Relu, {}, {}};
  op.in = {x};
  op.out = {activation(name, shape(x))};
  op.out.push_back(mask(name + ".mask", shape(x), DType::Bit));
  g_.forward.push_back(op);
  return op.out[0];
}

TensorId ModelBuilder::relu6(const std::string& name, TensorId x) {
  Op op{OpKind::Relu6, {}, {}};
  op.in = {x};
  op.out = {activation(name, shape(x))};
  op.out.push_back(mask(name + ".mask", shape(x), DType::Bit));
  g_.forward.push_back(op);
  return op.out[0];
}

TensorId ModelBuilder::add(const std::string& name, TensorId a, TensorId b) {
  require(shape(a) == shape(b), name + ": the two inputs of an add must have the same shape");
  Op op{OpKind::Add, {}, {}};
  op.in = {a, b};
  op.out = {activation(name, shape(a))};
  g_.forward.push_back(op);
  return op.out[0];
}

TensorId ModelBuilder::maxpool(const std::string& name, TensorId x, uint32_t kernel,
                               uint32_t stride, uint32_t pad) {
  const auto s = shape(x);
  require(2 * pad <= kernel, name + ": padding must be at most half the kernel (as PyTorch)");
  require(s[1] + 2 * pad >= kernel && s[2] + 2 * pad >= kernel && stride > 0,
          name + ": window larger than the padded input");
  Op op{OpKind::MaxPool2d, {}, {}};
  op.in = {x};
  op.out = {activation(name, {s[0],
                              static_cast<uint32_t>(window_out_extent(s[1], kernel, stride, pad, pad)),
                              static_cast<uint32_t>(window_out_extent(s[2], kernel, stride, pad, pad)),
                              s[3]})};
  op.out.push_back(mask(name + ".taps", shape(op.out[0]), DType::U8));
  op.params.kernel_h = op.params.kernel_w = u16(kernel, name + " kernel");
  op.params.stride_h = op.params.stride_w = u16(stride, name + " stride");
  op.params.pad_top = op.params.pad_left = op.params.pad_bottom = op.params.pad_right =
      u16(pad, name + " padding");
  g_.forward.push_back(op);
  return op.out[0];
}

TensorId ModelBuilder::global_avgpool(const std::string& name, TensorId x) {
  const auto s = shape(x);
  Op op{OpKind::GlobalAvgPool, {}, {}};
  op.in = {x};
  op.out = {activation(name, {s[0], 1, 1, s[3]})};
  g_.forward.push_back(op);
  return op.out[0];
}

TensorId ModelBuilder::fc(const std::string& name, TensorId x, uint32_t out) {
  const auto s = shape(x);
  uint32_t in = 1;
  for (size_t i = 1; i < s.size(); ++i) in *= s[i];
  Op op{OpKind::FullyConnected, {}, {}};
  op.in = {x, param(name + ".weight", {out, in}, Init::UniformFanIn, in),
           param(name + ".bias", {out}, Init::UniformFanIn, in)};
  op.out = {activation(name, {s[0], out})};
  g_.forward.push_back(op);
  return op.out[0];
}

Graph ModelBuilder::finish(TensorId logits) {
  const auto s = shape(logits);
  require(s.size() == 2 && s[1] == classes_, "the last layer must output [batch, classes]");
  g_.logits = logits;
  g_.loss = activation("loss", {1});
  Op op{OpKind::SoftmaxCrossEntropy, {}, {}};
  op.in = {logits, g_.labels};
  op.out = {g_.loss, activation("probs", s)};
  g_.forward.push_back(op);
  return std::move(g_);
}

}  // namespace edgetrain::planner
