// Batch normalisation in channel tiles (each tile owns its channels' statistics, so the bits do
// not depend on the threads): training forward (batch statistics, running ones updated in the
// step's first forward only), normalising with given statistics (evaluation, and recomputations
// of a training forward on its batch statistics: the same bits as that forward), backward.
// SyncBatchNorm (SessionOptions::sync_batchnorm, on R > 1 ranks): the forward averages its mean,
// then its variance about that mean, over the ranks, and the backward its two sums, so that R
// ranks of equal batches compute the statistics of their union, as one process at R x the batch
// would. The recomputations normalise with the saved statistics: no communication, same bits.
#include "kernels/kernels.h"
#include "kernels/select.h"
#include "ops/ops.h"
#include "ops/parallel.h"

namespace edgetrain::ops {

namespace {

double bn_work(const MatrixView& m) { return kElementWork * static_cast<double>(m.rows * m.cols); }

bool sync(const OpContext& c) { return c.sync_batchnorm && c.comm != nullptr && c.comm->size() > 1; }

// Averages the buffers (each `channels` floats) over the ranks.
Status mean_over_ranks(const OpContext& c, size_t channels, float* a, float* b = nullptr) {
  float* data[2] = {a, b};
  const uint64_t elements[2] = {channels, channels};
  return c.comm->mean_now(data, elements, b == nullptr ? 1 : 2);
}

// The training forward with its statistics averaged over the ranks after each pass.
Status batchnorm_train_sync(const OpContext& c, const MatrixView& m, float eps, const float* x, const float* gamma,
                            const float* beta, float* y, float* mean, float* var) {
  auto means = [&](size_t c0, size_t nc) { f32_batchnorm_mean_tiled(m.rows, m.cols, x, mean, c0, c0 + nc); };
  auto vars = [&](size_t c0, size_t nc) { f32_batchnorm_var_tiled(m.rows, m.cols, x, mean, var, c0, c0 + nc); };
  auto apply = [&](size_t c0, size_t nc) {
    f32_batchnorm_apply(m.rows, m.cols, eps, x, gamma, beta, mean, var, y, c0, c0 + nc);
  };
  parallel_channels(c, m.cols, bn_work(m), means);
  EDGETRAIN_RETURN_IF_ERROR(mean_over_ranks(c, m.cols, mean));
  parallel_channels(c, m.cols, bn_work(m), vars);
  EDGETRAIN_RETURN_IF_ERROR(mean_over_ranks(c, m.cols, var));
  parallel_channels(c, m.cols, bn_work(m), apply);
  return Status::ok();
}

}  // namespace

Status batchnorm_train(const OpContext& c, const OpDesc& d) {
  using S = slot::BatchNormTrain;
  const MatrixView m = channel_rows(c, d.in[S::x]);
  const float eps = d.params.eps;
  const float *x = c.f32(d.in[S::x]), *gamma = c.f32(d.in[S::gamma]), *beta = c.f32(d.in[S::beta]);
  float *y = c.f32(d.out[S::y]), *mean = c.f32(d.out[S::mean]), *var = c.f32(d.out[S::var]);
  size_t rows = m.rows;  // the values the statistics are over
  if (sync(c)) {
    EDGETRAIN_RETURN_IF_ERROR(batchnorm_train_sync(c, m, eps, x, gamma, beta, y, mean, var));
    rows *= c.comm->size();
  } else {
    auto fn = [&](size_t c0, size_t nc) {
      f32_batchnorm_fwd_train(m.rows, m.cols, eps, x, gamma, beta, y, mean, var, c0, c0 + nc);
    };
    parallel_channels(c, m.cols, bn_work(m), fn);
  }
  if (d.params.update_running_stats) {
    f32_batchnorm_update_running_scalar(rows, m.cols, d.params.momentum, mean, var,
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
  if (sync(c)) {  // the sums go through dbeta and dgamma, which the gradients then replace
    auto sums = [&](size_t c0, size_t nc) {
      f32_batchnorm_bwd_sums_tiled(m.rows, m.cols, x, mean, dy, dbeta, dgamma, c0, c0 + nc);
    };
    auto gradients = [&](size_t c0, size_t nc) {
      f32_batchnorm_bwd_from_sums_tiled(m.rows, m.cols, eps, x, gamma, mean, var, dy, dbeta, dgamma, dx, dgamma,
                                        dbeta, c0, c0 + nc);
    };
    parallel_channels(c, m.cols, bn_work(m), sums);
    EDGETRAIN_RETURN_IF_ERROR(mean_over_ranks(c, m.cols, dbeta, dgamma));
    parallel_channels(c, m.cols, bn_work(m), gradients);
    return Status::ok();
  }
  auto fn = [&](size_t c0, size_t nc) {
    f32_batchnorm_bwd(m.rows, m.cols, eps, x, gamma, mean, var, dy, dx, dgamma, dbeta, c0, c0 + nc);
  };
  parallel_channels(c, m.cols, bn_work(m), fn);
  return Status::ok();
}

}  // namespace edgetrain::ops
