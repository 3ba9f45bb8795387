// Batch normalisation in channel tiles (each tile owns its channels' statistics, so the bits do
// not depend on the threads): training forward (batch statistics, running ones updated in the
// step's first forward only), normalising with given statistics (evaluation, and recomputations
// of a training forward on its batch statistics: the same bits as that forward), backward.
#include "kernels/kernels.h"
#include "kernels/select.h"
#include "ops/ops.h"
#include "ops/parallel.h"

namespace edgetrain::ops {

namespace {

double bn_work(const MatrixView& m) { return kElementWork * static_cast<double>(m.rows * m.cols); }

}  // namespace

Status batchnorm_train(const OpContext& c, const OpDesc& d) {
  using S = slot::BatchNormTrain;
  const MatrixView m = channel_rows(c, d.in[S::x]);
  const float eps = d.params.eps;
  const float *x = c.f32(d.in[S::x]), *gamma = c.f32(d.in[S::gamma]), *beta = c.f32(d.in[S::beta]);
  float *y = c.f32(d.out[S::y]), *mean = c.f32(d.out[S::mean]), *var = c.f32(d.out[S::var]);
  auto fn = [&](size_t c0, size_t nc) {
    f32_batchnorm_fwd_train(m.rows, m.cols, eps, x, gamma, beta, y, mean, var, c0, c0 + nc);
  };
  parallel_channels(c, m.cols, bn_work(m), fn);
  if (d.params.update_running_stats) {
    f32_batchnorm_update_running_scalar(m.rows, m.cols, d.params.momentum, mean, var,
                                        c.f32(d.in[S::running_mean]), c.f32(d.in[S::running_var]));
  }
  return Status::ok();
}

Status batchnorm_eval(const OpContext& c, const OpDesc& d) {
  using S = slot::BatchNormEval;
  const MatrixView m = channel_rows(c, d.in[S::x]);
  const float eps = d.params.eps;
  const float *x = c.f32(d.in[S::x]), *gamma = c.f32(d.in[S::gamma]), *beta = c.f32(d.in[S::beta]);
  const float *mean = c.f32(d.in[S::mean]), *var = c.f32(d.in[S::var]);
  float* y = c.f32(d.out[S::y]);
  auto fn = [&](size_t c0, size_t nc) {
    f32_batchnorm_apply(m.rows, m.cols, eps, x, gamma, beta, mean, var, y, c0, c0 + nc);
  };
  parallel_channels(c, m.cols, bn_work(m), fn);
  return Status::ok();
}

Status batchnorm_bwd(const OpContext& c, const OpDesc& d) {
  using S = slot::BatchNormBwd;
  const MatrixView m = channel_rows(c, d.in[S::x]);
  const float eps = d.params.eps;
  const float *x = c.f32(d.in[S::x]), *gamma = c.f32(d.in[S::gamma]), *mean = c.f32(d.in[S::mean]);
  const float *var = c.f32(d.in[S::var]), *dy = c.f32(d.in[S::dy]);
  float *dx = c.f32(d.out[S::dx]), *dgamma = c.f32(d.out[S::dgamma]), *dbeta = c.f32(d.out[S::dbeta]);
  auto fn = [&](size_t c0, size_t nc) {
    f32_batchnorm_bwd(m.rows, m.cols, eps, x, gamma, mean, var, dy, dx, dgamma, dbeta, c0, c0 + nc);
  };
  parallel_channels(c, m.cols, bn_work(m), fn);
  return Status::ok();
}

}  // namespace edgetrain::ops
