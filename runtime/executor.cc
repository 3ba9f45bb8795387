#include "executor.h"

#include <xnnpack.h>

#include <chrono>

#include "ops/dispatch.h"
#include "param_init.h"
#include "plan_check.h"

namespace edgetrain {

Status Executor::init(const Plan& plan, XnnContext& xnn, uint64_t seed) {
  EDGETRAIN_RETURN_IF_ERROR(check_plan(plan));
  // XNNPACK kernels may read XNN_EXTRA_BYTES past the end of any input.
  if (!arena_.allocate(plan.arena_bytes + XNN_EXTRA_BYTES, kTensorAlignment) ||
      !params_.allocate(plan.params_bytes + XNN_EXTRA_BYTES, kTensorAlignment)) {
    return Status::error(StatusCode::OutOfMemory,
                         "cannot allocate the %llu-byte arena and %llu-byte params block of %s batch %u: "
                         "choose a plan with a smaller batch or budget",
                         static_cast<unsigned long long>(plan.arena_bytes),
                         static_cast<unsigned long long>(plan.params_bytes), plan.model, plan.batch);
  }
  plan_ = &plan;
  xnn_ = &xnn;
  ctx_ = OpContext{&plan, arena_.data(), params_.data(), xnn.pool(), {}, seed};
  init_params(plan, params_.data(), seed);
  return Status::ok();
}

Status Executor::run(const OpDesc* ops, uint32_t first, uint32_t count, std::vector<double>* op_seconds) {
  if (op_seconds) op_seconds->resize(count, 0.0);  // no-op after the first step
  for (uint32_t i = first; i < count; ++i) {
    const auto start = std::chrono::steady_clock::now();
    EDGETRAIN_RETURN_IF_ERROR(run_op(ctx_, ops[i]));
    if (op_seconds) {
      (*op_seconds)[i] += std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    }
  }
  return Status::ok();
}

Status Executor::train_step(const OptimizerConfig& optimizer, uint32_t first_op) {
  ctx_.optimizer = optimizer;
  EDGETRAIN_RETURN_IF_ERROR(run(plan_->train_ops, first_op, plan_->train_op_count, op_seconds_));
  return xnn_->fit_region();
}

Status Executor::eval_step(uint32_t first_op) {
  EDGETRAIN_RETURN_IF_ERROR(run(plan_->eval_ops, first_op, plan_->eval_op_count, nullptr));
  return xnn_->fit_region();
}

}  // namespace edgetrain
