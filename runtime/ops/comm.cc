// Data parallel: a bucket of parameter gradients handed to the session's Communicator (edgetrain/
// communicator.h) at GradAllReduceStart and waited for at GradAllReduceWait. One process (no
// communicator): the mean over one rank is the gradient itself, and both are no-ops.
#include "ops/ops.h"

namespace edgetrain::ops {

Status grad_allreduce_start(const OpContext& c, const OpDesc& op) {
  if (c.comm == nullptr) return Status::ok();
  float* data[kMaxOpInputs];
  uint64_t elements[kMaxOpInputs];
  uint32_t count = 0;
  for (int k = 0; k < kMaxOpInputs; ++k) {
    if (op.in[k] < 0) continue;
    data[count] = c.f32(op.in[k]);
    elements[count++] = c.elements(op.in[k]);
  }
  return c.comm->start_mean(op.params.groups, data, elements, count);
}

Status grad_allreduce_wait(const OpContext& c, const OpDesc& op) {
  return c.comm == nullptr ? Status::ok() : c.comm->wait(op.params.groups);
}

}  // namespace edgetrain::ops
