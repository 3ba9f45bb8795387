// Softmax cross-entropy over the batch's logits, and its gradient (single-threaded references:
// [batch, classes] is small).
#include "kernels/kernels.h"
#include "kernels/select.h"
#include "ops/ops.h"

namespace edgetrain::ops {

Status softmax_xent(const OpContext& c, const OpDesc& d) {
  using S = slot::SoftmaxCrossEntropy;
  const MatrixView m = batch_rows(c, d.in[S::logits]);
  f32_softmax_xent_scalar(m.rows, m.cols, c.f32(d.in[S::logits]), c.i32(d.in[S::labels]),
                          c.f32(d.out[S::loss]), c.f32(d.out[S::probs]));
  return Status::ok();
}

Status softmax_xent_bwd(const OpContext& c, const OpDesc& d) {
  using S = slot::SoftmaxCrossEntropyBwd;
  const MatrixView m = batch_rows(c, d.in[S::probs]);
  f32_softmax_xent_bwd_scalar(m.rows, m.cols, c.f32(d.in[S::probs]), c.i32(d.in[S::labels]),
                              c.f32(d.out[S::dlogits]));
  return Status::ok();
}

}  // namespace edgetrain::ops
