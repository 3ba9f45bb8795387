// The one contract between the host planner and the device runtime.
//
// A plan is plain data: tensor and op tables plus a header. The planner emits it as generated
// C++ (`*.gen.cc`) that the device binary compiles in; the runtime validates the header once and
// executes the ops in order. Nothing here allocates or computes.
#pragma once

#include <cstdint>

#include "op_kinds.h"

namespace edgetrain {

inline constexpr uint32_t kPlanMagic = 0x4e4c5045u;  // "EPLN", little-endian
inline constexpr uint32_t kPlanVersion = 2;
inline constexpr uint64_t kTensorAlignment = 64;  // every offset, in both regions
inline constexpr uint32_t kMaxNormChannels = 4;    // input channels a Normalize op holds values for

// Arena: activations, all gradients (a weight's lives until its update) and workspaces; reused
// across the step. Params: weights, optimizer state and BatchNorm running statistics; persistent.
enum class Region : uint8_t { Arena, Params };
// U8: the input image, max-pool winning taps. Bit: backward masks, 8 elements per byte (bit
// i % 8 of byte i / 8); `bytes` is ceil(elements / 8).
enum class DType : uint8_t { F32, I32, U8, Bit };

// How the runtime fills a Params tensor before the first step. UniformFanIn is PyTorch's
// default for conv and linear weights and biases: U(-1/sqrt(fan_in), 1/sqrt(fan_in)).
enum class Init : uint8_t { None, Zeros, Ones, UniformFanIn };

// Payload bytes of `elements` values of `dtype`.
inline constexpr uint64_t tensor_bytes(DType dtype, uint64_t elements) {
  switch (dtype) {
    case DType::U8: return elements;
    case DType::Bit: return (elements + 7) / 8;
    default: return elements * 4;  // F32, I32
  }
}

struct TensorDesc {
  const char* name;
  Region region;
  DType dtype;
  Init init;
  uint8_t rank;
  // Activations NHWC; conv weights [out_c][kh][kw][in_c / groups]; FC weights [out][in].
  uint32_t shape[4];  // dimensions past `rank` are 1
  uint32_t fan_in;  // for Init::UniformFanIn
  uint64_t offset;  // bytes from the start of its region, a multiple of kTensorAlignment
  uint64_t bytes;   // exact payload bytes (product of shape x element size)
};

// The classes of a plan's logits: [batch, classes], or a global pool's [batch, 1, 1, classes].
inline uint32_t logit_classes(const TensorDesc& logits) { return logits.shape[logits.rank - 1]; }

// One flat parameter record for every op; fields an op does not use are zero.
struct OpParams {
  uint16_t kernel_h, kernel_w;
  uint16_t stride_h, stride_w;
  uint16_t pad_top, pad_left, pad_bottom, pad_right;
  uint32_t groups;
  float eps;       // BatchNorm
  float momentum;  // BatchNorm running statistics
  // Normalize: per input channel (an image has at most kMaxNormChannels), unused entries zero.
  float norm_mean[kMaxNormChannels], norm_std[kMaxNormChannels];
  uint8_t update_running_stats;  // BatchNormTrain: 1 only in the first forward of a step
  // 0, or k + 1 when out[0] is written over in[k] (same offset and bytes): only where
  // op_allows_in_place(kind, k) (op_kinds.h) says the kernel reads each element before
  // overwriting it.
  uint8_t in_place;
};

// ChannelSlice's (and ChannelSliceBwd's) channel range [begin, end) of x, kept in fields the kind
// has no other use for, each 32-bit value as two halves (low in kernel_h/stride_h, high in
// kernel_w/stride_w): a plan and the model hash (which reads those fields) spell it as is.
inline uint32_t channel_slice_begin(const OpParams& p) { return p.kernel_h | uint32_t{p.kernel_w} << 16; }
inline uint32_t channel_slice_end(const OpParams& p) { return p.stride_h | uint32_t{p.stride_w} << 16; }
inline void set_channel_slice(OpParams& p, uint32_t begin, uint32_t end) {
  p.kernel_h = static_cast<uint16_t>(begin), p.kernel_w = static_cast<uint16_t>(begin >> 16);
  p.stride_h = static_cast<uint16_t>(end), p.stride_w = static_cast<uint16_t>(end >> 16);
}
// HardSigmoid (and its backward) keeps ONNX's alpha and beta, y = clamp(alpha * x + beta, 0, 1),
// in the float fields BatchNorm uses: the OpParams layout stays the plan format's.
inline float hard_sigmoid_alpha(const OpParams& p) { return p.eps; }
inline float hard_sigmoid_beta(const OpParams& p) { return p.momentum; }
inline void set_hard_sigmoid(OpParams& p, float alpha, float beta) { p.eps = alpha, p.momentum = beta; }
// Dropout (and DropoutBwd) keeps its ratio p in [0, 1) in `eps` and its salt, a per-op constant
// that keeps two dropouts' masks apart (the builder's hash of the op's name), in `groups`. An
// evaluation schedule's Dropout has ratio 0: the identity.
inline float dropout_ratio(const OpParams& p) { return p.eps; }
inline uint32_t dropout_salt(const OpParams& p) { return p.groups; }
inline void set_dropout(OpParams& p, float ratio, uint32_t salt) { p.eps = ratio, p.groups = salt; }

// MaxPool2d's and AvgPool2d's (and their backwards') flags, PyTorch's and ONNX's: ceil mode (the
// output extent rounds up, window_out_extent in window.h) and, for the average, whether padded
// cells count in the divisor. Kept in `groups`, which pooling has no other use for and the model
// hash reads (another mode is another model); zero, every plan's value before these flags, is
// floor mode without padding counted. Pooling kernels take groups as 1.
inline constexpr uint32_t kPoolCeilMode = 1u, kPoolCountIncludePad = 2u;
inline bool pool_ceil_mode(const OpParams& p) { return (p.groups & kPoolCeilMode) != 0; }
inline bool pool_count_include_pad(const OpParams& p) { return (p.groups & kPoolCountIncludePad) != 0; }
inline void set_pool_flags(OpParams& p, bool ceil_mode, bool count_include_pad) {
  p.groups = (ceil_mode ? kPoolCeilMode : 0u) | (count_include_pad ? kPoolCountIncludePad : 0u);
}

struct OpDesc {
  OpKind kind;
  int32_t in[kMaxOpInputs];    // tensor ids by slot (op_kinds.h: slot::<Kind>), -1 where unused
  int32_t out[kMaxOpOutputs];  // tensor ids by slot, -1 where unused
  int32_t workspace;           // arena scratch the op's kernel needs, -1 if none (no kernel
                               // needs one today)
  OpParams params;
};

// Whether an op's operands fit its kind's row (op_kinds.h): every named slot that is not optional
// holds a tensor, slots past the row's count hold -1, and an in-place write names an allowed
// slot. Null if they do, else what is wrong. Both the planner's check and the runtime's read it.
inline const char* op_slot_problem(const OpDesc& op) {
  const int inputs = op_input_count(op.kind), outputs = op_output_count(op.kind);
  for (int k = 0; k < kMaxOpInputs; ++k) {
    if (k >= inputs && op.in[k] != -1) return "names an input past its kind's slots";
    if (k < inputs && op.in[k] == -1 && !op_input_optional(op.kind, k)) return "lacks a required input";
  }
  for (int k = 0; k < kMaxOpOutputs; ++k) {
    if (k >= outputs && op.out[k] != -1) return "names an output past its kind's slots";
    if (k < outputs && op.out[k] == -1 && !op_output_optional(op.kind, k)) return "lacks a required output";
  }
  const int over = op.params.in_place - 1;
  if (op.params.in_place != 0 && (!op_allows_in_place(op.kind, over) || op.in[over] == -1 || op.out[0] == -1)) {
    return "writes in place over a slot its kind does not allow";
  }
  return nullptr;
}

struct Plan {
  uint32_t magic;
  uint32_t version;
  const char* model;
  uint64_t model_hash;  // of the model's structure; weights files carry the same hash
  uint32_t batch;
  uint64_t arena_bytes;        // placement result
  uint64_t arena_lower_bound;  // max over the schedule of live arena bytes
  uint64_t params_bytes;
  const TensorDesc* tensors;
  uint32_t tensor_count;
  const OpDesc* train_ops;  // one training step: forward, backward, optimizer
  uint32_t train_op_count;
  const OpDesc* eval_ops;  // forward with BatchNorm in eval mode, ending at `logits`
  uint32_t eval_op_count;
  int32_t input;   // [N,H,W,C] u8, filled by the trainer; a Normalize op makes the floats
  int32_t labels;  // [N] i32, filled by the trainer
  int32_t loss;    // [1] f32
  int32_t logits;  // [N,classes] f32
  // The planner's prediction of the trainer's peak RSS (VmHWM): arena + params block + what the
  // process holds outside them (planner/off_arena.h), for the target the plan was made for.
  uint64_t predicted_peak_bytes;
};

struct PlanSet {
  const Plan* const* plans;
  uint32_t count;
};

// Defined by the generated plan file linked into the binary.
extern const PlanSet kBakedPlans;

}  // namespace edgetrain
