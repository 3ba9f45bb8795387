// The op kinds of a plan: one row each in kOpKinds, the table both sides read.
//
// A row says what the plan format knows of a kind: its name as generated plans spell it, its
// phase, its operand slots (named, in order; `?` marks a slot that may be -1) and which inputs
// its kernel may write its first output over. Code names slots through the `slot::<Kind>` enums
// below (op.in[slot::Conv2d::w]), never by bare index.
//
// Adding an op kind (docs/ARCHITECTURE.md, "Adding an op"): an enumerator and a slot struct and
// a row here; its planner rule (planner/graph/op_rules.cc: backward and FLOPs); its runtime
// adapter (runtime/ops/dispatch.cc); its kernels. Each table is checked at compile time to hold
// every kind in enum order.
#pragma once

#include <cstdint>
#include <string_view>

namespace edgetrain {

inline constexpr int kMaxOpInputs = 5;
inline constexpr int kMaxOpOutputs = 3;

enum class OpKind : uint16_t {
  // Forward.
  Normalize, Conv2d, BatchNormTrain, BatchNormEval, Relu, Relu6, MaxPool2d, GlobalAvgPool, Concat,
  AvgPool2d, FullyConnected, ChannelShuffle, ChannelSlice, Add, Sigmoid, HardSigmoid, HardSwish, Mul,
  Dropout, SoftmaxCrossEntropy,
  // Backward. Gradients are written, never accumulated: where a tensor feeds several ops, the
  // plan sums their contributions with Add.
  SoftmaxCrossEntropyBwd, FullyConnectedBwdData, FullyConnectedBwdWeights, ChannelShuffleBwd,
  ChannelSliceBwd, GlobalAvgPoolBwd, ConcatBwd, AvgPool2dBwd, ReluBwd, BatchNormBwd, MaxPool2dBwd,
  Conv2dBwdData, Conv2dBwdWeights, SigmoidBwd, HardSigmoidBwd, HardSwishBwd, MulBwd, DropoutBwd,
  // Optimizer: one update per trained parameter (see kOptimizerStateSlot below).
  SgdMomentum, Adam, AdamW,
  // Communication (data-parallel plans only, `plan --data-parallel`): a bucket of parameter
  // gradients averaged over the ranks, started once its last gradient is written and waited for
  // before its updates.
  GradAllReduceStart, GradAllReduceWait,
};
inline constexpr uint16_t kOpKindCount = static_cast<uint16_t>(OpKind::GradAllReduceWait) + 1;

// Operand slots of each kind: `In` indexes OpDesc::in, `Out` OpDesc::out.
namespace slot {
struct Normalize {  // y = (x / 255 - mean) / std
  enum In : uint8_t { image };
  enum Out : uint8_t { y };
};
struct Conv2d {
  enum In : uint8_t { x, w, b };
  enum Out : uint8_t { y };
};
struct BatchNormTrain {  // batch statistics; updates the running ones when update_running_stats
  enum In : uint8_t { x, gamma, beta, running_mean, running_var };
  enum Out : uint8_t { y, mean, var };
};
struct BatchNormEval {  // given statistics: running ones, or a recomputed BatchNormTrain's own
  enum In : uint8_t { x, gamma, beta, mean, var };
  enum Out : uint8_t { y };
};
struct Relu {  // also Relu6; mask: DType::Bit, what ReluBwd reads
  enum In : uint8_t { x };
  enum Out : uint8_t { y, mask };
};
using Relu6 = Relu;
struct MaxPool2d {  // taps: DType::U8, the winning tap of each window, what MaxPool2dBwd reads
  enum In : uint8_t { x };
  enum Out : uint8_t { y, taps };
};
struct GlobalAvgPool {  // y is [N,1,1,C]
  enum In : uint8_t { x };
  enum Out : uint8_t { y };
};
// y = [x0 | x1 | ...] along channels (NHWC), 2 to kMaxOpInputs inputs of one N, H, W; each
// input's range follows from the channels of those before it.
struct Concat {
  enum In : uint8_t { x0, x1, x2, x3, x4 };
  enum Out : uint8_t { y };
};
// PyTorch's avg_pool2d (= ONNX AveragePool): ceil mode and count_include_pad in the params
// (pool_ceil_mode, pool_count_include_pad: plan_format.h). AvgPool2dBwd reads dy alone.
struct AvgPool2d {
  enum In : uint8_t { x };
  enum Out : uint8_t { y };
};
struct FullyConnected {
  enum In : uint8_t { x, w, b };
  enum Out : uint8_t { y };
};
// Permutations and copies within each pixel's channel vector (NHWC), for ShuffleNetV2.
struct ChannelShuffle {  // PyTorch's channel_shuffle, g = groups: y[c] = x[(c % g) * C/g + c / g]
  enum In : uint8_t { x };
  enum Out : uint8_t { y };
};
struct ChannelSlice {  // y = x[..., begin:end] (channel_slice_begin/end, plan_format.h)
  enum In : uint8_t { x };
  enum Out : uint8_t { y };
};
struct Add {  // residual joins and gradient sums
  enum In : uint8_t { a, b };
  enum Out : uint8_t { y };
};
struct Sigmoid {  // y = 1 / (1 + exp(-x)); SigmoidBwd reads y
  enum In : uint8_t { x };
  enum Out : uint8_t { y };
};
// y = clamp(alpha * x + beta, 0, 1), ONNX's (alpha, beta: plan_format.h, hard_sigmoid_alpha);
// HardSigmoidBwd reads y (0 < y < 1 exactly where the clamp is inactive).
using HardSigmoid = Sigmoid;
struct HardSwish {  // y = x * relu6(x + 3) / 6, PyTorch's; HardSwishBwd reads x
  enum In : uint8_t { x };
  enum Out : uint8_t { y };
};
struct Mul {  // y = a * b; b has a's shape, or is [N,1,1,C] against a's [N,H,W,C] (squeeze-excite)
  enum In : uint8_t { a, b };
  enum Out : uint8_t { y };
};
// Training-mode dropout: y = x * mask / (1 - p), the mask a counter-based hash of (seed, step,
// salt, element) (kernels/include/kernels/dropout_rng.h), so a recomputation draws the same one.
// p and salt: plan_format.h, dropout_ratio. mask: DType::Bit, what DropoutBwd reads (x is not).
struct Dropout {
  enum In : uint8_t { x };
  enum Out : uint8_t { y, mask };
};
struct SoftmaxCrossEntropy {
  enum In : uint8_t { logits, labels };
  enum Out : uint8_t { loss, probs };
};
struct SoftmaxCrossEntropyBwd {
  enum In : uint8_t { probs, labels };
  enum Out : uint8_t { dlogits };
};
struct FullyConnectedBwdData {
  enum In : uint8_t { dy, w };
  enum Out : uint8_t { dx };
};
struct FullyConnectedBwdWeights {
  enum In : uint8_t { x, dy };
  enum Out : uint8_t { dw, db };
};
struct ChannelShuffleBwd {  // the inverse permutation: a shuffle over C / groups
  enum In : uint8_t { dy };
  enum Out : uint8_t { dx };
};
struct ChannelSliceBwd {  // dx shaped like x: dy in [begin, end), zero elsewhere
  enum In : uint8_t { dy };
  enum Out : uint8_t { dx };
};
struct GlobalAvgPoolBwd {
  enum In : uint8_t { dy };
  enum Out : uint8_t { dx };
};
// One per input that needs a gradient: dx = dy[..., begin:end], that input's channel range
// (channel_slice_begin/end, plan_format.h), ChannelSlice's copy.
struct ConcatBwd {
  enum In : uint8_t { dy };
  enum Out : uint8_t { dx };
};
struct AvgPool2dBwd {  // the forward's params; dx is x's shape
  enum In : uint8_t { dy };
  enum Out : uint8_t { dx };
};
struct ReluBwd {  // Relu and Relu6
  enum In : uint8_t { mask, dy };
  enum Out : uint8_t { dx };
};
struct BatchNormBwd {
  enum In : uint8_t { x, gamma, mean, var, dy };
  enum Out : uint8_t { dx, dgamma, dbeta };
};
struct MaxPool2dBwd {
  enum In : uint8_t { taps, dy };
  enum Out : uint8_t { dx };
};
struct Conv2dBwdData {
  enum In : uint8_t { dy, w };
  enum Out : uint8_t { dx };
};
struct Conv2dBwdWeights {
  enum In : uint8_t { x, dy };
  enum Out : uint8_t { dw, db };
};
struct SigmoidBwd {  // also HardSigmoidBwd: from the forward's output
  enum In : uint8_t { y, dy };
  enum Out : uint8_t { dx };
};
using HardSigmoidBwd = SigmoidBwd;
struct HardSwishBwd {  // from the forward's input
  enum In : uint8_t { x, dy };
  enum Out : uint8_t { dx };
};
// da = dy * b (b broadcast as in the forward); db = dy * a, or summed over H and W when b is
// [N,1,1,C]. a is read only for db and b only for da: each is -1 when the other gradient is not
// wanted.
struct MulBwd {
  enum In : uint8_t { a, b, dy };
  enum Out : uint8_t { da, db };
};
struct DropoutBwd {  // dx = dy * mask / (1 - p), from the mask alone
  enum In : uint8_t { mask, dy };
  enum Out : uint8_t { dx };
};
struct SgdMomentum {  // updates w and velocity in place
  enum In : uint8_t { w, dw, velocity };
};
struct Adam {  // also AdamW; updates w and both moments in place (PyTorch's state names)
  enum In : uint8_t { w, dw, exp_avg, exp_avg_sq };
};
using AdamW = Adam;
// A bucket of up to kMaxOpInputs parameter gradients (params.groups: the bucket's number, which
// pairs a Start with its Wait). Start hands them to the communication thread, which replaces each
// with its mean over the ranks in place; Wait returns once that is done. Neither has outputs: like
// an update, the reduction writes its operands, which stay live (and so untouched by any other
// op) from Start to Wait because Wait reads them.
struct GradAllReduceStart {
  enum In : uint8_t { g0, g1, g2, g3, g4 };
};
using GradAllReduceWait = GradAllReduceStart;
}  // namespace slot

// Every optimizer kind reads w and dw, then its persistent state: the slots from this one on,
// each a Params tensor shaped like w and zero before the first step (Init::Zeros), which the
// planner names "<w>.<slot name>" and --init-state zeroes.
inline constexpr int kOptimizerStateSlot = 2;
static_assert(+slot::SgdMomentum::velocity == kOptimizerStateSlot && +slot::Adam::exp_avg == kOptimizerStateSlot &&
              +slot::SgdMomentum::w == +slot::Adam::w && +slot::SgdMomentum::dw == +slot::Adam::dw);

// An optimizer kind's name as `plan --optimizer` and the trainer spell it; null for other kinds.
inline constexpr const char* optimizer_name(OpKind kind) {
  switch (kind) {
    case OpKind::SgdMomentum: return "sgd";
    case OpKind::Adam: return "adam";
    case OpKind::AdamW: return "adamw";
    default: return nullptr;
  }
}

enum class OpPhase : uint8_t { Forward, Backward, Optimizer, Communication };

struct OpKindInfo {
  OpKind kind;
  const char* name;
  OpPhase phase;
  const char* inputs;   // slot names in slot order, space-separated; `name?`: may be -1
  const char* outputs;
  // Bit k: out[0] may be written over in[k] (the kernel reads each element before writing it).
  uint8_t in_place;
};

namespace op_table_detail {
constexpr uint8_t slot_bit(int k) { return static_cast<uint8_t>(1u << k); }
}  // namespace op_table_detail

inline constexpr OpKindInfo kOpKinds[kOpKindCount] = {
#define EDGETRAIN_OP(kind) OpKind::kind, #kind
    // clang-format off
    // kind                                 phase               inputs                         outputs           out[0] over
    {EDGETRAIN_OP(Normalize),               OpPhase::Forward,   "image",                        "y",              0},
    {EDGETRAIN_OP(Conv2d),                  OpPhase::Forward,   "x w b?",                       "y",              0},
    {EDGETRAIN_OP(BatchNormTrain),          OpPhase::Forward,   "x gamma beta running_mean running_var", "y mean var", 0},
    {EDGETRAIN_OP(BatchNormEval),           OpPhase::Forward,   "x gamma beta mean var",        "y",              op_table_detail::slot_bit(slot::BatchNormEval::x)},
    {EDGETRAIN_OP(Relu),                    OpPhase::Forward,   "x",                            "y mask?",        op_table_detail::slot_bit(slot::Relu::x)},
    {EDGETRAIN_OP(Relu6),                   OpPhase::Forward,   "x",                            "y mask?",        op_table_detail::slot_bit(slot::Relu::x)},
    {EDGETRAIN_OP(MaxPool2d),               OpPhase::Forward,   "x",                            "y taps?",        0},
    {EDGETRAIN_OP(GlobalAvgPool),           OpPhase::Forward,   "x",                            "y",              0},
    {EDGETRAIN_OP(Concat),                  OpPhase::Forward,   "x0 x1 x2? x3? x4?",            "y",              0},
    {EDGETRAIN_OP(AvgPool2d),               OpPhase::Forward,   "x",                            "y",              0},
    {EDGETRAIN_OP(FullyConnected),          OpPhase::Forward,   "x w b?",                       "y",              0},
    {EDGETRAIN_OP(ChannelShuffle),          OpPhase::Forward,   "x",                            "y",              0},
    {EDGETRAIN_OP(ChannelSlice),            OpPhase::Forward,   "x",                            "y",              0},
    {EDGETRAIN_OP(Add),                     OpPhase::Forward,   "a b",                          "y",              op_table_detail::slot_bit(slot::Add::a) | op_table_detail::slot_bit(slot::Add::b)},
    {EDGETRAIN_OP(Sigmoid),                 OpPhase::Forward,   "x",                            "y",              op_table_detail::slot_bit(slot::Sigmoid::x)},
    {EDGETRAIN_OP(HardSigmoid),             OpPhase::Forward,   "x",                            "y",              op_table_detail::slot_bit(slot::HardSigmoid::x)},
    {EDGETRAIN_OP(HardSwish),               OpPhase::Forward,   "x",                            "y",              0},
    {EDGETRAIN_OP(Mul),                     OpPhase::Forward,   "a b",                          "y",              0},
    {EDGETRAIN_OP(Dropout),                 OpPhase::Forward,   "x",                            "y mask?",        op_table_detail::slot_bit(slot::Dropout::x)},
    {EDGETRAIN_OP(SoftmaxCrossEntropy),     OpPhase::Forward,   "logits labels",                "loss probs",     0},
    {EDGETRAIN_OP(SoftmaxCrossEntropyBwd),  OpPhase::Backward,  "probs labels",                 "dlogits",        0},
    {EDGETRAIN_OP(FullyConnectedBwdData),   OpPhase::Backward,  "dy w",                         "dx",             0},
    {EDGETRAIN_OP(FullyConnectedBwdWeights), OpPhase::Backward, "x dy",                         "dw db?",         0},
    {EDGETRAIN_OP(ChannelShuffleBwd),       OpPhase::Backward,  "dy",                           "dx",             0},
    {EDGETRAIN_OP(ChannelSliceBwd),         OpPhase::Backward,  "dy",                           "dx",             0},
    {EDGETRAIN_OP(GlobalAvgPoolBwd),        OpPhase::Backward,  "dy",                           "dx",             0},
    {EDGETRAIN_OP(ConcatBwd),               OpPhase::Backward,  "dy",                           "dx",             0},
    {EDGETRAIN_OP(AvgPool2dBwd),            OpPhase::Backward,  "dy",                           "dx",             0},
    {EDGETRAIN_OP(ReluBwd),                 OpPhase::Backward,  "mask dy",                      "dx",             op_table_detail::slot_bit(slot::ReluBwd::dy)},
    {EDGETRAIN_OP(BatchNormBwd),            OpPhase::Backward,  "x gamma mean var dy",          "dx? dgamma? dbeta?", op_table_detail::slot_bit(slot::BatchNormBwd::dy)},
    {EDGETRAIN_OP(MaxPool2dBwd),            OpPhase::Backward,  "taps dy",                      "dx",             0},
    {EDGETRAIN_OP(Conv2dBwdData),           OpPhase::Backward,  "dy w",                         "dx",             0},
    {EDGETRAIN_OP(Conv2dBwdWeights),        OpPhase::Backward,  "x dy",                         "dw db?",         0},
    {EDGETRAIN_OP(SigmoidBwd),              OpPhase::Backward,  "y dy",                         "dx",             op_table_detail::slot_bit(slot::SigmoidBwd::dy)},
    {EDGETRAIN_OP(HardSigmoidBwd),          OpPhase::Backward,  "y dy",                         "dx",             op_table_detail::slot_bit(slot::HardSigmoidBwd::dy)},
    {EDGETRAIN_OP(HardSwishBwd),            OpPhase::Backward,  "x dy",                         "dx",             op_table_detail::slot_bit(slot::HardSwishBwd::dy)},
    {EDGETRAIN_OP(MulBwd),                  OpPhase::Backward,  "a? b? dy",                     "da? db?",        0},
    {EDGETRAIN_OP(DropoutBwd),              OpPhase::Backward,  "mask dy",                      "dx",             op_table_detail::slot_bit(slot::DropoutBwd::dy)},
    {EDGETRAIN_OP(SgdMomentum),             OpPhase::Optimizer, "w dw velocity",                "",               0},
    {EDGETRAIN_OP(Adam),                    OpPhase::Optimizer, "w dw exp_avg exp_avg_sq",      "",               0},
    {EDGETRAIN_OP(AdamW),                   OpPhase::Optimizer, "w dw exp_avg exp_avg_sq",      "",               0},
    {EDGETRAIN_OP(GradAllReduceStart),      OpPhase::Communication, "g0 g1? g2? g3? g4?",       "",               0},
    {EDGETRAIN_OP(GradAllReduceWait),       OpPhase::Communication, "g0 g1? g2? g3? g4?",       "",               0},
    // clang-format on
#undef EDGETRAIN_OP
};

inline constexpr const OpKindInfo& op_info(OpKind kind) { return kOpKinds[static_cast<uint16_t>(kind)]; }

// Whether a table of rows with a `kind` field holds every OpKind once, in enum order: the check
// each of the three op tables (this one, the planner's, the runtime's) passes at compile time.
// (Whether a row's function pointers are set cannot be: GCC's sanitizer builds do not fold a
// function's address compared with null. The tables' users check them where they read them.)
template <typename Row, uint16_t N>
constexpr bool rows_in_enum_order(const Row (&rows)[N]) {
  for (uint16_t k = 0; k < N; ++k) {
    if (static_cast<uint16_t>(rows[k].kind) != k) return false;
  }
  return N == kOpKindCount;
}

namespace op_table_detail {
// Slots named in a row's list, and whether slot `k` carries `?`.
constexpr int slot_count(const char* s) {
  int n = 0;
  for (bool in_word = false; *s != '\0'; ++s) {
    if (*s != ' ' && !in_word) ++n;
    in_word = *s != ' ';
  }
  return n;
}
constexpr bool slot_optional(const char* s, int k) {
  int n = -1;
  for (bool in_word = false; *s != '\0'; ++s) {
    if (*s != ' ' && !in_word) ++n;
    in_word = *s != ' ';
    if (n == k && *s == '?') return true;
  }
  return false;
}
// Slot `k`'s name in a row's list, without its `?` ("" past the list).
constexpr std::string_view slot_name(const char* s, int k) {
  const std::string_view list = s;
  for (size_t begin = 0, end = 0, n = 0; begin < list.size(); begin = end) {
    while (begin < list.size() && list[begin] == ' ') ++begin;
    for (end = begin; end < list.size() && list[end] != ' ';) ++end;
    if (begin < end && n++ == static_cast<size_t>(k)) {
      return list.substr(begin, end - begin - (list[end - 1] == '?' ? 1 : 0));
    }
  }
  return {};
}
}  // namespace op_table_detail
static_assert(rows_in_enum_order(kOpKinds), "kOpKinds must list every OpKind in enum order");

inline constexpr int op_input_count(OpKind kind) { return op_table_detail::slot_count(op_info(kind).inputs); }
inline constexpr int op_output_count(OpKind kind) { return op_table_detail::slot_count(op_info(kind).outputs); }
// Whether in[k] (outputs: out[k]) may be -1.
inline constexpr bool op_input_optional(OpKind kind, int k) {
  return op_table_detail::slot_optional(op_info(kind).inputs, k);
}
inline constexpr bool op_output_optional(OpKind kind, int k) {
  return op_table_detail::slot_optional(op_info(kind).outputs, k);
}
// The name of in[k] as its kind's row spells it (the planner names optimizer state after it).
inline constexpr std::string_view op_input_name(OpKind kind, int k) {
  return op_table_detail::slot_name(op_info(kind).inputs, k);
}

// The enumerator's name, as generated plans spell it ("?" for a value past the table).
inline const char* op_kind_name(OpKind kind) {
  return static_cast<uint16_t>(kind) < kOpKindCount ? op_info(kind).name : "?";
}

// Whether out[0] may be written over in[slot] (same offset and bytes).
inline constexpr bool op_allows_in_place(OpKind kind, int slot) {
  return slot >= 0 && slot < kMaxOpInputs && (op_info(kind).in_place >> slot & 1u) != 0;
}

// Each row's slot lists match its slot enums and fit OpDesc.
namespace op_table_detail {
constexpr bool slots_fit() {
  for (uint16_t k = 0; k < kOpKindCount; ++k) {
    const OpKind kind = static_cast<OpKind>(k);
    if (op_input_count(kind) > kMaxOpInputs || op_output_count(kind) > kMaxOpOutputs) return false;
  }
  return true;
}
}  // namespace op_table_detail
static_assert(op_table_detail::slots_fit(), "a kOpKinds row names more slots than OpDesc holds");
static_assert(op_input_count(OpKind::BatchNormTrain) == slot::BatchNormTrain::running_var + 1 &&
                  op_output_count(OpKind::BatchNormTrain) == slot::BatchNormTrain::var + 1 &&
                  op_input_count(OpKind::BatchNormBwd) == slot::BatchNormBwd::dy + 1 &&
                  op_output_count(OpKind::BatchNormBwd) == slot::BatchNormBwd::dbeta + 1 &&
                  op_input_count(OpKind::SgdMomentum) == slot::SgdMomentum::velocity + 1 &&
                  op_input_count(OpKind::Adam) == slot::Adam::exp_avg_sq + 1 &&
                  op_input_count(OpKind::AdamW) == slot::AdamW::exp_avg_sq + 1 &&
                  op_output_count(OpKind::Relu) == slot::Relu::mask + 1 &&
                  op_input_count(OpKind::MulBwd) == slot::MulBwd::dy + 1 &&
                  op_output_count(OpKind::MulBwd) == slot::MulBwd::db + 1 &&
                  op_input_count(OpKind::HardSwishBwd) == slot::HardSwishBwd::dy + 1 &&
                  op_output_count(OpKind::Dropout) == slot::Dropout::mask + 1 &&
                  op_input_count(OpKind::DropoutBwd) == slot::DropoutBwd::dy + 1 &&
                  op_input_count(OpKind::Concat) == slot::Concat::x4 + 1 && slot::Concat::x4 + 1 == kMaxOpInputs &&
                  op_input_count(OpKind::GradAllReduceStart) == slot::GradAllReduceStart::g4 + 1 &&
                  op_input_count(OpKind::GradAllReduceWait) == kMaxOpInputs,
              "kOpKinds slot lists and the slot enums disagree");
static_assert(op_input_name(OpKind::SgdMomentum, slot::SgdMomentum::velocity) == "velocity" &&
                  op_input_name(OpKind::Adam, slot::Adam::exp_avg_sq) == "exp_avg_sq" &&
                  op_input_name(OpKind::Conv2d, slot::Conv2d::b) == "b" && op_input_name(OpKind::Relu, 1).empty(),
              "op_input_name reads the slot lists");

// Optimizer-phase kinds are exactly the named optimizers, and their slots past dw are state.
namespace op_table_detail {
constexpr bool optimizers_named() {
  for (uint16_t k = 0; k < kOpKindCount; ++k) {
    const OpKind kind = static_cast<OpKind>(k);
    const bool optimizer = op_info(kind).phase == OpPhase::Optimizer;
    if (optimizer != (optimizer_name(kind) != nullptr)) return false;
    if (optimizer && (op_input_count(kind) <= kOptimizerStateSlot || op_output_count(kind) != 0)) return false;
  }
  return true;
}
}  // namespace op_table_detail
static_assert(op_table_detail::optimizers_named(),
              "every optimizer kind has an optimizer_name, reads w, dw and its state, and writes no output");

}  // namespace edgetrain
