// Parameter updates, with the step's optimizer settings from the context.
#include "kernels/kernels.h"
#include "kernels/select.h"
#include "ops/ops.h"

namespace edgetrain::ops {

Status sgd_momentum(const OpContext& c, const OpDesc& d) {
  using S = slot::SgdMomentum;
  f32_sgd_momentum_scalar(c.elements(d.in[S::w]), c.optimizer.lr, c.optimizer.momentum,
                          c.optimizer.weight_decay, c.f32(d.in[S::w]), c.f32(d.in[S::dw]),
                          c.f32(d.in[S::velocity]));
  return Status::ok();
}

namespace {

using AdamKernel = void (*)(size_t, float, float, float, float, float, uint32_t, float*, const float*, float*,
                            float*);

Status adam_update(const OpContext& c, const OpDesc& d, AdamKernel kernel) {
  using S = slot::Adam;
  const OptimizerConfig& o = c.optimizer;
  if (o.step == 0) {
    return Status::error(StatusCode::InvalidArgument, "Adam's step count is 1-based (OptimizerConfig::step), got 0");
  }
  kernel(c.elements(d.in[S::w]), o.lr, o.beta1, o.beta2, o.eps, o.weight_decay, o.step, c.f32(d.in[S::w]),
         c.f32(d.in[S::dw]), c.f32(d.in[S::exp_avg]), c.f32(d.in[S::exp_avg_sq]));
  return Status::ok();
}

}  // namespace

Status adam(const OpContext& c, const OpDesc& d) { return adam_update(c, d, f32_adam_scalar); }
Status adamw(const OpContext& c, const OpDesc& d) { return adam_update(c, d, f32_adamw_scalar); }

}  // namespace edgetrain::ops
