#include "graph/op_rules.h"

#include <stdexcept>
#include <string>

#include "graph/backward.h"

namespace edgetrain::planner {

namespace {

// ---- FLOPs -------------------------------------------------------------------------------------

double elems(const Graph& g, TensorId id) {
  return id == kNoTensor ? 0.0 : static_cast<double>(g.at(id).bytes() / 4);
}

// One per element of the output (of the input for ops without one): ReLU, add, pooling sums,
// and the channel ops' copies (which a recompute pays for as memory traffic).
double elementwise_flops(const Graph& g, const Op& op) {
  return elems(g, op.out.empty() || op.out[0] == kNoTensor ? op.in[0] : op.out[0]);
}

double conv_flops(const Graph& g, const Op& op) {
  const auto& w = g.at(op.in[slot::Conv2d::w]).shape;  // [out_c][kh][kw][in_c / groups]
  return 2.0 * elems(g, op.out[slot::Conv2d::y]) * w[1] * w[2] * w[3];
}

// Both conv gradients: a multiply-add per dy element, tap and input channel of its group.
double conv_bwd_flops(const std::vector<uint32_t>& dy, const std::vector<uint32_t>& w, const OpParams& p) {
  const double per_out = static_cast<double>(p.kernel_h) * p.kernel_w;
  return 2.0 * dy[0] * dy[1] * dy[2] * dy[3] * per_out * w[3];
}
double conv_bwd_data_flops(const Graph& g, const Op& op) {
  using S = slot::Conv2dBwdData;
  return conv_bwd_flops(g.at(op.in[S::dy]).shape, g.at(op.in[S::w]).shape, op.params);
}
double conv_bwd_weights_flops(const Graph& g, const Op& op) {
  using S = slot::Conv2dBwdWeights;
  return conv_bwd_flops(g.at(op.in[S::dy]).shape, g.at(op.out[S::dw]).shape, op.params);
}

double fc_flops(const Graph& g, const Op& op) {
  using S = slot::FullyConnected;
  return 2.0 * elems(g, op.out[S::y]) * g.at(op.in[S::w]).shape[1];
}
double fc_bwd_data_flops(const Graph& g, const Op& op) {
  using S = slot::FullyConnectedBwdData;
  return 2.0 * elems(g, op.in[S::dy]) * g.at(op.in[S::w]).shape[1];
}
double fc_bwd_weights_flops(const Graph& g, const Op& op) {
  using S = slot::FullyConnectedBwdWeights;
  return 2.0 * elems(g, op.in[S::dy]) * g.at(op.out[S::dw]).shape[1];
}

double bn_train_flops(const Graph& g, const Op& op) { return 8.0 * elems(g, op.in[slot::BatchNormTrain::x]); }  // statistics + normalise
double bn_eval_flops(const Graph& g, const Op& op) { return 2.0 * elems(g, op.in[slot::BatchNormEval::x]); }
double bn_bwd_flops(const Graph& g, const Op& op) { return 10.0 * elems(g, op.in[slot::BatchNormBwd::x]); }

double maxpool_flops(const Graph& g, const Op& op) {
  return elems(g, op.out[slot::MaxPool2d::y]) * op.params.kernel_h * op.params.kernel_w;
}
double maxpool_bwd_flops(const Graph& g, const Op& op) {
  return elems(g, op.in[slot::MaxPool2dBwd::dy]) * op.params.kernel_h * op.params.kernel_w;
}

// An add per window cell and output element, the division; its backward the same adds into dx.
double avgpool_flops(const Graph& g, const Op& op) {
  return elems(g, op.out[slot::AvgPool2d::y]) * op.params.kernel_h * op.params.kernel_w;
}
double avgpool_bwd_flops(const Graph& g, const Op& op) {
  return elems(g, op.in[slot::AvgPool2dBwd::dy]) * op.params.kernel_h * op.params.kernel_w;
}

// An exp, an add and a division per element; its backward two multiplies and a subtract.
double sigmoid_flops(const Graph& g, const Op& op) { return 4.0 * elems(g, op.out[slot::Sigmoid::y]); }
// HardSigmoid and HardSwish: a few adds, multiplies and compares per element.
double hard_activation_flops(const Graph& g, const Op& op) { return 3.0 * elems(g, op.out[0]); }
double activation_bwd_flops(const Graph& g, const Op& op) {
  static_assert(+slot::SigmoidBwd::dx == 0 && +slot::HardSwishBwd::dx == 0);
  return 3.0 * elems(g, op.out[0]);
}
// A multiply per dy element and gradient written.
double mul_bwd_flops(const Graph& g, const Op& op) {
  using S = slot::MulBwd;
  return elems(g, op.in[S::dy]) * ((op.out[S::da] != kNoTensor) + (op.out[S::db] != kNoTensor));
}

// A hash per two elements (the mask) and a multiply and select per element; its backward a
// multiply and select.
double dropout_flops(const Graph& g, const Op& op) { return 3.0 * elems(g, op.out[slot::Dropout::y]); }

// Both read a [batch, classes] tensor first (logits, probs).
double loss_flops(const Graph& g, const Op& op) {
  static_assert(+slot::SoftmaxCrossEntropy::logits == 0 && +slot::SoftmaxCrossEntropyBwd::probs == 0);
  return 5.0 * elems(g, op.in[0]);
}
double no_flops(const Graph&, const Op&) { return 0; }  // communication: its time is the network's
double sgd_flops(const Graph& g, const Op& op) { return 4.0 * elems(g, op.in[slot::SgdMomentum::w]); }
// Both moments, the bias-corrected quotient and the decay (coupled or not): about 12 per element.
double adam_flops(const Graph& g, const Op& op) { return 12.0 * elems(g, op.in[slot::Adam::w]); }

// ---- Backward rules ----------------------------------------------------------------------------

void conv_backward(Backward& b, const Op& op, TensorId dy) {
  using S = slot::Conv2d;
  b.weight_gradients(OpKind::Conv2dBwdWeights, op, dy);
  if (b.needs_grad(op.in[S::x])) {
    b.emit(OpKind::Conv2dBwdData, {dy, op.in[S::w]}, {b.contribution(op.in[S::x])}, op.params,
           b.input_gradient_owner(op));
  }
}

void fc_backward(Backward& b, const Op& op, TensorId dy) {
  using S = slot::FullyConnected;
  b.weight_gradients(OpKind::FullyConnectedBwdWeights, op, dy);
  if (b.needs_grad(op.in[S::x])) {
    b.emit(OpKind::FullyConnectedBwdData, {dy, op.in[S::w]}, {b.contribution(op.in[S::x])});
  }
}

void bn_train_backward(Backward& b, const Op& op, TensorId dy) {
  using S = slot::BatchNormTrain;
  b.emit(OpKind::BatchNormBwd, {op.in[S::x], op.in[S::gamma], op.out[S::mean], op.out[S::var], dy},
         {b.contribution(op.in[S::x]), b.contribution(op.in[S::gamma]), b.contribution(op.in[S::beta])},
         op.params);
}

void bn_eval_backward(Backward& b, const Op& op, TensorId) {  // frozen layers (freeze.h)
  if (b.needs_grad(op.in[slot::BatchNormEval::x])) {
    throw std::logic_error("no backward rule for a BatchNormEval whose input needs a gradient");
  }
}

// From the forward's 1-bit mask: neither x nor y is kept for it (Relu and Relu6).
void relu_backward(Backward& b, const Op& op, TensorId dy) {
  using S = slot::Relu;
  if (b.needs_grad(op.in[S::x])) {
    b.emit(OpKind::ReluBwd, {op.out[S::mask], dy}, {b.contribution(op.in[S::x])});
  }
}

// From the forward's winning taps, not x.
void maxpool_backward(Backward& b, const Op& op, TensorId dy) {
  using S = slot::MaxPool2d;
  if (b.needs_grad(op.in[S::x])) {
    b.emit(OpKind::MaxPool2dBwd, {op.out[S::taps], dy}, {b.contribution(op.in[S::x])}, op.params);
  }
}

void gavgpool_backward(Backward& b, const Op& op, TensorId dy) {
  using S = slot::GlobalAvgPool;
  if (b.needs_grad(op.in[S::x])) b.emit(OpKind::GlobalAvgPoolBwd, {dy}, {b.contribution(op.in[S::x])});
}

// The channel ops' backwards read dy alone (x is not kept for them) and the forward's params: the
// inverse permutation, or dy back in its channels. Slices of one tensor each write a whole
// contribution, which Backward sums with Add.
void channel_backward(Backward& b, OpKind kind, const Op& op, TensorId dy) {
  static_assert(+slot::ChannelShuffle::x == 0 && +slot::ChannelSlice::x == 0);
  if (b.needs_grad(op.in[0])) b.emit(kind, {dy}, {b.contribution(op.in[0])}, op.params);
}
void shuffle_backward(Backward& b, const Op& op, TensorId dy) { channel_backward(b, OpKind::ChannelShuffleBwd, op, dy); }
void slice_backward(Backward& b, const Op& op, TensorId dy) { channel_backward(b, OpKind::ChannelSliceBwd, op, dy); }

// Each input's gradient is its channel range of dy, copied out (ConcatBwd, the range in the params
// as ChannelSlice's): nothing of the forward is kept, and an input given twice gets two
// contributions that Backward sums.
void concat_backward(Backward& b, const Op& op, TensorId dy) {
  uint32_t begin = 0;
  for (TensorId x : op.in) {
    const uint32_t end = begin + b.graph().at(x).shape[3];
    if (b.needs_grad(x)) {
      OpParams p{};
      set_channel_slice(p, begin, end);
      b.emit(OpKind::ConcatBwd, {dy}, {b.contribution(x)}, p);
    }
    begin = end;
  }
}

// From dy and the forward's params alone: an average's gradient does not depend on x.
void avgpool_backward(Backward& b, const Op& op, TensorId dy) {
  using S = slot::AvgPool2d;
  if (b.needs_grad(op.in[S::x])) b.emit(OpKind::AvgPool2dBwd, {dy}, {b.contribution(op.in[S::x])}, op.params);
}

// d(a+b)/da = d(a+b)/db = 1: dy itself is both contributions, no copy. Safe because gradients
// are never written in place.
void add_backward(Backward& b, const Op& op, TensorId dy) {
  for (TensorId x : op.in) {
    if (b.needs_grad(x)) b.add_part(x, dy);
  }
}

// From y: neither needs x kept (HardSigmoid's 0 < y < 1 is where its clamp is inactive).
void sigmoid_backward(Backward& b, const Op& op, TensorId dy) {
  using S = slot::Sigmoid;
  const OpKind kind = op.kind == OpKind::Sigmoid ? OpKind::SigmoidBwd : OpKind::HardSigmoidBwd;
  if (b.needs_grad(op.in[S::x])) b.emit(kind, {op.out[S::y], dy}, {b.contribution(op.in[S::x])}, op.params);
}

void hard_swish_backward(Backward& b, const Op& op, TensorId dy) {
  using S = slot::HardSwish;
  if (b.needs_grad(op.in[S::x])) b.emit(OpKind::HardSwishBwd, {op.in[S::x], dy}, {b.contribution(op.in[S::x])});
}

// One op for both gradients, reading a only for db and b only for da, so a gradient nobody
// wants keeps nothing alive.
void mul_backward(Backward& b, const Op& op, TensorId dy) {
  using S = slot::Mul;
  const TensorId da = b.contribution(op.in[S::a]), db = b.contribution(op.in[S::b]);
  if (da == kNoTensor && db == kNoTensor) return;
  b.emit(OpKind::MulBwd, {db != kNoTensor ? op.in[S::a] : kNoTensor, da != kNoTensor ? op.in[S::b] : kNoTensor, dy},
         {da, db});
}

// From the forward's 1-bit mask alone (its ratio in the params): neither x nor y is kept.
void dropout_backward(Backward& b, const Op& op, TensorId dy) {
  using S = slot::Dropout;
  if (b.needs_grad(op.in[S::x])) {
    b.emit(OpKind::DropoutBwd, {op.out[S::mask], dy}, {b.contribution(op.in[S::x])}, op.params);
  }
}

void loss_backward(Backward& b, const Op& op, TensorId) {
  using S = slot::SoftmaxCrossEntropy;
  b.emit(OpKind::SoftmaxCrossEntropyBwd, {op.out[S::probs], op.in[S::labels]},
         {b.contribution(op.in[S::logits])});
}

constexpr GradFlow kNone = GradFlow::None, kOut = GradFlow::FromOutput, kLoss = GradFlow::FromLoss;

// clang-format off
constexpr OpRule kOpRules[kOpKindCount] = {
    // kind                              gradient  backward rule       FLOPs
    {OpKind::Normalize,                  kNone,    nullptr,            elementwise_flops},
    {OpKind::Conv2d,                     kOut,     conv_backward,      conv_flops},
    {OpKind::BatchNormTrain,             kOut,     bn_train_backward,  bn_train_flops},
    {OpKind::BatchNormEval,              kOut,     bn_eval_backward,   bn_eval_flops},
    {OpKind::Relu,                       kOut,     relu_backward,      elementwise_flops},
    {OpKind::Relu6,                      kOut,     relu_backward,      elementwise_flops},
    {OpKind::MaxPool2d,                  kOut,     maxpool_backward,   maxpool_flops},
    {OpKind::GlobalAvgPool,              kOut,     gavgpool_backward,  elementwise_flops},
    {OpKind::Concat,                     kOut,     concat_backward,    elementwise_flops},
    {OpKind::AvgPool2d,                  kOut,     avgpool_backward,   avgpool_flops},
    {OpKind::FullyConnected,             kOut,     fc_backward,        fc_flops},
    {OpKind::ChannelShuffle,             kOut,     shuffle_backward,   elementwise_flops},
    {OpKind::ChannelSlice,               kOut,     slice_backward,     elementwise_flops},
    {OpKind::Add,                        kOut,     add_backward,       elementwise_flops},
    {OpKind::Sigmoid,                    kOut,     sigmoid_backward,   sigmoid_flops},
    {OpKind::HardSigmoid,                kOut,     sigmoid_backward,   hard_activation_flops},
    {OpKind::HardSwish,                  kOut,     hard_swish_backward, hard_activation_flops},
    {OpKind::Mul,                        kOut,     mul_backward,       elementwise_flops},
    {OpKind::Dropout,                    kOut,     dropout_backward,   dropout_flops},
    {OpKind::SoftmaxCrossEntropy,        kLoss,    loss_backward,      loss_flops},
    {OpKind::SoftmaxCrossEntropyBwd,     kOut,     nullptr,            loss_flops},
    {OpKind::FullyConnectedBwdData,      kOut,     nullptr,            fc_bwd_data_flops},
    {OpKind::FullyConnectedBwdWeights,   kOut,     nullptr,            fc_bwd_weights_flops},
    {OpKind::ChannelShuffleBwd,          kOut,     nullptr,            elementwise_flops},
    {OpKind::ChannelSliceBwd,            kOut,     nullptr,            elementwise_flops},
    {OpKind::GlobalAvgPoolBwd,           kOut,     nullptr,            elementwise_flops},
    {OpKind::ConcatBwd,                  kOut,     nullptr,            elementwise_flops},
    {OpKind::AvgPool2dBwd,               kOut,     nullptr,            avgpool_bwd_flops},
    {OpKind::ReluBwd,                    kOut,     nullptr,            elementwise_flops},
    {OpKind::BatchNormBwd,               kOut,     nullptr,            bn_bwd_flops},
    {OpKind::MaxPool2dBwd,               kOut,     nullptr,            maxpool_bwd_flops},
    {OpKind::Conv2dBwdData,              kOut,     nullptr,            conv_bwd_data_flops},
    {OpKind::Conv2dBwdWeights,           kOut,     nullptr,            conv_bwd_weights_flops},
    {OpKind::SigmoidBwd,                 kOut,     nullptr,            activation_bwd_flops},
    {OpKind::HardSigmoidBwd,             kOut,     nullptr,            activation_bwd_flops},
    {OpKind::HardSwishBwd,               kOut,     nullptr,            activation_bwd_flops},
    {OpKind::MulBwd,                     kOut,     nullptr,            mul_bwd_flops},
    {OpKind::DropoutBwd,                 kOut,     nullptr,            elementwise_flops},
    {OpKind::SgdMomentum,                kOut,     nullptr,            sgd_flops},
    {OpKind::Adam,                       kOut,     nullptr,            adam_flops},
    {OpKind::AdamW,                      kOut,     nullptr,            adam_flops},
    {OpKind::GradAllReduceStart,         kNone,    nullptr,            no_flops},
    {OpKind::GradAllReduceWait,          kNone,    nullptr,            no_flops},
};
// clang-format on

static_assert(rows_in_enum_order(kOpRules), "kOpRules must hold every OpKind, in enum order");

}  // namespace

const OpRule& op_rule(OpKind kind) {
  const auto k = static_cast<uint16_t>(kind);
  if (k >= kOpKindCount || kOpRules[k].flops == nullptr) {
    throw std::logic_error("op kind " + std::to_string(k) + " has no planner rule");
  }
  return kOpRules[k];
}

}  // namespace edgetrain::planner
