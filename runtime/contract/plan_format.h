// The one contract between the host planner and the device runtime.
//
// A plan is plain data: tensor and op tables plus a header. The planner emits it as generated
// C++ (`*.gen.cc`) that the device binary compiles in; the runtime validates the header once and
// executes the ops in order. Nothing here allocates or computes.
#pragma once

#include <cstdint>

namespace edgetrain {

inline constexpr uint32_t kPlanMagic = 0x4e4c5045u;  // "EPLN", little-endian
inline constexpr uint32_t kPlanVersion = 2;
inline constexpr uint64_t kTensorAlignment = 64;  // every offset, in both regions

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

enum class OpKind : uint16_t {
  // Forward. in/out slots in brackets.
  Normalize,            // in [image u8]             out [y]  (y = (x / 255 - mean) / std)
  Conv2d,               // in [x, w, b|-1]           out [y]
  BatchNormTrain,       // in [x, gamma, beta, running_mean, running_var]  out [y, mean, var]
  BatchNormEval,        // in [x, gamma, beta, mean, var]  out [y]  (running statistics, or a
                        // recomputed BatchNormTrain's batch statistics: the same bits as it)
  Relu,                 // in [x]                    out [y, mask|-1]  (mask: Bit, for ReluBwd)
  Relu6,                // in [x]                    out [y, mask|-1]
  MaxPool2d,            // in [x]                    out [y, taps|-1]  (taps: U8 winning tap)
  GlobalAvgPool,        // in [x]                    out [y]  (y is [N,1,1,C])
  FullyConnected,       // in [x, w, b|-1]           out [y]
  Add,                  // in [a, b]                 out [y]  (residual joins; gradient sums)
  SoftmaxCrossEntropy,  // in [logits, labels]       out [loss, probs]
  // Backward. Gradients are written, never accumulated: where a tensor feeds several ops, the
  // plan sums their contributions with Add.
  SoftmaxCrossEntropyBwd,    // in [probs, labels]         out [dlogits]
  FullyConnectedBwdData,     // in [dy, w]                 out [dx]
  FullyConnectedBwdWeights,  // in [x, dy]                 out [dw, db|-1]
  GlobalAvgPoolBwd,          // in [dy]                    out [dx]
  ReluBwd,                   // in [mask, dy]              out [dx]  (Relu and Relu6)
  BatchNormBwd,              // in [x, gamma, mean, var, dy]  out [dx, dgamma, dbeta]
  MaxPool2dBwd,              // in [taps, dy]              out [dx]
  Conv2dBwdData,             // in [dy, w]                 out [dx]
  Conv2dBwdWeights,          // in [x, dy]                 out [dw, db|-1]
  // Optimizer.
  SgdMomentum,  // in [w, dw, velocity]  out []  (updates w and velocity in place)
};
inline constexpr uint16_t kOpKindCount = static_cast<uint16_t>(OpKind::SgdMomentum) + 1;

// The enumerator's name, as generated plans spell it.
inline const char* op_kind_name(OpKind kind) {
  static constexpr const char* kNames[kOpKindCount] = {
      "Normalize", "Conv2d", "BatchNormTrain", "BatchNormEval", "Relu", "Relu6", "MaxPool2d", "GlobalAvgPool",
      "FullyConnected", "Add", "SoftmaxCrossEntropy", "SoftmaxCrossEntropyBwd",
      "FullyConnectedBwdData", "FullyConnectedBwdWeights", "GlobalAvgPoolBwd", "ReluBwd",
      "BatchNormBwd", "MaxPool2dBwd", "Conv2dBwdData", "Conv2dBwdWeights",
      "SgdMomentum"};
  const auto i = static_cast<uint16_t>(kind);
  return i < kOpKindCount ? kNames[i] : "?";
}

// One flat parameter record for every op; fields an op does not use are zero.
struct OpParams {
  uint16_t kernel_h, kernel_w;
  uint16_t stride_h, stride_w;
  uint16_t pad_top, pad_left, pad_bottom, pad_right;
  uint32_t groups;
  float eps;       // BatchNorm
  float momentum;  // BatchNorm running statistics
  float norm_mean, norm_std;  // Normalize
  uint8_t update_running_stats;  // BatchNormTrain: 1 only in the first forward of a step
  // 0, or k + 1 when out[0] is written over in[k] (same offset and bytes): only where
  // op_allows_in_place(kind, k) says the kernel reads each element before overwriting it.
  uint8_t in_place;
};

// The in-place writes the runtime's kernels support (out[0] over in[slot]): elementwise ops, and
// BatchNorm backward's dx over dy (it reduces dy before writing dx).
inline bool op_allows_in_place(OpKind kind, int slot) {
  switch (kind) {
    case OpKind::Relu:
    case OpKind::Relu6:
    case OpKind::BatchNormEval:  // frozen layers' BatchNorm (planner/freeze.h)
      return slot == 0;  // y over x
    case OpKind::ReluBwd:
      return slot == 1;  // dx over dy
    case OpKind::Add:
      return slot == 0 || slot == 1;
    case OpKind::BatchNormBwd:
      return slot == 4;  // dx over dy
    default:
      return false;
  }
}

inline constexpr int kMaxOpInputs = 5;
inline constexpr int kMaxOpOutputs = 3;

struct OpDesc {
  OpKind kind;
  int32_t in[kMaxOpInputs];    // tensor ids, -1 where unused
  int32_t out[kMaxOpOutputs];  // tensor ids, -1 where unused
  int32_t workspace;           // arena scratch the op's kernel needs, -1 if none; sized by
                               // the kernels' *_workspace_bytes functions
  OpParams params;
};

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
