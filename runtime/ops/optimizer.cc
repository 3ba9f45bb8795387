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

}  // namespace edgetrain::ops
