// Executes a baked plan: one arena and one params block, allocated once; then training steps
// and evaluation passes that run the plan's op lists in order and allocate nothing themselves.
#pragma once

#include <cstdint>
#include <vector>

#include "aligned_buffer.h"
#include "op_context.h"
#include "plan_format.h"
#include "edgetrain/status.h"
#include "xnn_context.h"

namespace edgetrain {

class Executor {
 public:
  // Checks the plan, allocates both regions and initialises the parameters from `seed`, which
  // also keys Dropout's masks (OpContext::seed).
  // After each step the executor lets `xnn` fit its allocation region (see XnnContext).
  Status init(const Plan& plan, XnnContext& xnn, uint64_t seed);

  // Fill input() and labels() before every call: a step reuses their bytes once it has read them.
  // first_op 1 starts after the plan's Normalize op, whose output the caller wrote (floats).
  Status train_step(const OptimizerConfig& optimizer, uint32_t first_op = 0);
  Status eval_step(uint32_t first_op = 0);  // fills logits() from input()

  // Data parallel: the ranks the plan's GradAllReduce ops reach (null: one process).
  void set_communicator(Communicator* comm, bool sync_batchnorm) {
    ctx_.comm = comm;
    ctx_.sync_batchnorm = sync_batchnorm;
  }

  // Time spent in each train op (index into plan().train_ops), summed over steps; on when set.
  void set_op_times(std::vector<double>* seconds) { op_seconds_ = seconds; }

  uint8_t* input() const { return ctx_.u8(plan_->input); }  // [N,H,W,C] image bytes
  int32_t* labels() const { return ctx_.i32(plan_->labels); }
  float loss() const { return *ctx_.f32(plan_->loss); }
  const float* logits() const { return ctx_.f32(plan_->logits); }
  const Plan& plan() const { return *plan_; }
  unsigned char* params() const { return params_.data(); }
  const OpContext& context() const { return ctx_; }

 private:
  // ops[first] .. ops[count - 1]; op_seconds (when given) indexed like ops.
  Status run(const OpDesc* ops, uint32_t first, uint32_t count, std::vector<double>* op_seconds);

  const Plan* plan_ = nullptr;
  XnnContext* xnn_ = nullptr;
  AlignedBuffer arena_, params_;
  OpContext ctx_{};
  std::vector<double>* op_seconds_ = nullptr;
};

}  // namespace edgetrain
