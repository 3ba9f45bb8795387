// Training-graph IR: tensors and the two op lists of one training step (train, eval).
//
// The planner's stages read and extend a Graph: a model builder adds the forward ops,
// `training` derives backward and optimizer ops, `placement` assigns offsets, `emit` writes the
// plan. Op kinds, params and tensor attributes are the runtime's own (runtime/plan_format.h).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "plan_format.h"

namespace edgetrain::planner {

using TensorId = int32_t;
inline constexpr TensorId kNoTensor = -1;

// What a tensor is for; decides its region and how long it must live.
enum class Role : uint8_t {
  // arena: live for part of a step. A parameter's gradient lives from its weight-gradient op to
  // its optimizer update (training.h).
  Input, Label, Activation, Gradient, ParamGrad,
  Param, OptState, RunningStat,  // params block: persistent
};

struct Tensor {
  std::string name;
  Role role = Role::Activation;
  DType dtype = DType::F32;
  Init init = Init::None;
  std::vector<uint32_t> shape;
  uint32_t fan_in = 0;
  uint64_t offset = 0;  // set by placement

  Region region() const;
  uint64_t bytes() const;
};

struct Op {
  OpKind kind;
  std::vector<TensorId> in;   // slots as documented in plan_format.h; kNoTensor where unused
  std::vector<TensorId> out;
  OpParams params{};
  TensorId workspace = kNoTensor;  // scratch for the op's kernel, live only during the op
  // Planner bookkeeping, not emitted: the index into Graph::forward of the forward op this op
  // runs (forward, recompute) or differentiates (backward, gradient sums); -1 for the optimizer.
  int32_t source = -1;
};

struct Graph {
  std::string model;
  uint32_t batch = 0;
  std::vector<Tensor> tensors;
  std::vector<Op> forward;  // the model as built; `training` derives the two schedules from it
  std::vector<Op> train;    // one step: forward, backward, optimizer
  std::vector<Op> eval;     // forward with BatchNorm in eval mode, ending at `logits`
  TensorId input = kNoTensor, labels = kNoTensor, loss = kNoTensor, logits = kNoTensor;
  uint64_t arena_bytes = 0, arena_lower_bound = 0, params_bytes = 0;  // set by placement
  // Data parallel (graph/allreduce.h, `plan --data-parallel`): the gradient bucket size that
  // realising a strategy (checkpoint/solve.h) buckets the gradients by; 0: one process.
  uint64_t allreduce_bucket_bytes = 0;

  TensorId add(Tensor t);
  const Tensor& at(TensorId id) const { return tensors.at(static_cast<size_t>(id)); }
  Tensor& at(TensorId id) { return tensors.at(static_cast<size_t>(id)); }
};

inline const char* op_name(OpKind kind) { return op_kind_name(kind); }

// FNV-1a over the model's structure (op kinds, params, parameter names and shapes), independent
// of batch size, so weights files of one model fit all its plans.
uint64_t model_hash(const Graph& g);

}  // namespace edgetrain::planner
