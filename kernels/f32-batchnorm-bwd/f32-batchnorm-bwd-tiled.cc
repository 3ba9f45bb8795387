// Training-mode batch-norm backward over a channel range, row-major (vectorised over channels);
// same formula as the scalar reference, sums float per kRowBlock rows and double across blocks.
// dx may be null: a trainable BatchNorm over a frozen layer's output needs no input gradient.
// Its two halves are kernels of their own too (the sums; the gradients from given sums) so that
// a data-parallel run can average the sums over its ranks in between (SyncBatchNorm).
#include <cassert>
#include <cmath>

#include "kernels/kernels.h"

namespace {

constexpr size_t kChannelBlock = 256, kRowBlock = 64;

// sdy[c] = sum of dy, sdx[c] = sum of dy * (x - mean), for the block of cb channels at c0.
void block_sums(size_t rows, size_t channels, size_t c0, size_t cb, const float* x, const float* mean,
                const float* dy, double* sdy, double* sdx) {
  float pdy[kChannelBlock], pdx[kChannelBlock], mu[kChannelBlock];
  for (size_t c = 0; c < cb; c++) {
    sdy[c] = sdx[c] = 0.0;
    mu[c] = mean[c0 + c];
  }
  for (size_t r0 = 0; r0 < rows; r0 += kRowBlock) {
    const size_t re = rows - r0 < kRowBlock ? rows : r0 + kRowBlock;
    for (size_t c = 0; c < cb; c++) pdy[c] = pdx[c] = 0.0f;
    for (size_t r = r0; r < re; r++) {
      const float* xr = x + r * channels + c0;
      const float* dr = dy + r * channels + c0;
      for (size_t c = 0; c < cb; c++) {
        pdy[c] += dr[c];
        pdx[c] += dr[c] * (xr[c] - mu[c]);
      }
    }
    for (size_t c = 0; c < cb; c++) {
      sdy[c] += pdy[c];
      sdx[c] += pdx[c];
    }
  }
}

// dbeta, dgamma and dx of the block from its sums (rows: the count they are means over).
void block_gradients(size_t rows, size_t channels, size_t c0, size_t cb, float eps, const float* x,
                     const float* gamma, const float* mean, const float* var, const float* dy,
                     const double* sdy, const double* sdx, float* dx, float* dgamma, float* dbeta) {
  float mu[kChannelBlock], mean_dy[kChannelBlock], k[kChannelBlock], scale[kChannelBlock];
  const double inv_rows = 1.0 / static_cast<double>(rows);
  for (size_t c = 0; c < cb; c++) {
    const float invstd = 1.0f / std::sqrt(var[c0 + c] + eps);
    mu[c] = mean[c0 + c];
    dbeta[c0 + c] = static_cast<float>(sdy[c]);
    dgamma[c0 + c] = static_cast<float>(sdx[c] * invstd);
    mean_dy[c] = static_cast<float>(sdy[c] * inv_rows);
    k[c] = static_cast<float>(sdx[c] * inv_rows) * invstd * invstd;
    scale[c] = gamma[c0 + c] * invstd;
  }
  for (size_t r = 0; r < rows && dx != nullptr; r++) {
    const float* xr = x + r * channels + c0;
    const float* dr = dy + r * channels + c0;
    float* out = dx + r * channels + c0;
    for (size_t c = 0; c < cb; c++) out[c] = (dr[c] - mean_dy[c] - (xr[c] - mu[c]) * k[c]) * scale[c];
  }
}

size_t block_size(size_t c0, size_t c_end) { return c_end - c0 < kChannelBlock ? c_end - c0 : kChannelBlock; }

}  // namespace

void f32_batchnorm_bwd_tiled(size_t rows, size_t channels, float eps, const float* x,
                             const float* gamma, const float* mean, const float* var,
                             const float* dy, float* dx, float* dgamma, float* dbeta,
                             size_t c_begin, size_t c_end) {
  assert(rows >= 1 && eps >= 0.0f);
  assert(x != nullptr && gamma != nullptr && mean != nullptr && var != nullptr);
  assert(dy != nullptr && dgamma != nullptr && dbeta != nullptr);
  assert(c_begin <= c_end && c_end <= channels);
  double sdy[kChannelBlock], sdx[kChannelBlock];
  for (size_t c0 = c_begin; c0 < c_end; c0 += kChannelBlock) {
    const size_t cb = block_size(c0, c_end);
    block_sums(rows, channels, c0, cb, x, mean, dy, sdy, sdx);
    block_gradients(rows, channels, c0, cb, eps, x, gamma, mean, var, dy, sdy, sdx, dx, dgamma, dbeta);
  }
}

void f32_batchnorm_bwd_sums_tiled(size_t rows, size_t channels, const float* x, const float* mean,
                                  const float* dy, float* sum_dy, float* sum_dy_xc, size_t c_begin,
                                  size_t c_end) {
  assert(rows >= 1 && x != nullptr && mean != nullptr && dy != nullptr);
  assert(sum_dy != nullptr && sum_dy_xc != nullptr && c_begin <= c_end && c_end <= channels);
  double sdy[kChannelBlock], sdx[kChannelBlock];
  for (size_t c0 = c_begin; c0 < c_end; c0 += kChannelBlock) {
    const size_t cb = block_size(c0, c_end);
    block_sums(rows, channels, c0, cb, x, mean, dy, sdy, sdx);
    for (size_t c = 0; c < cb; c++) {
      sum_dy[c0 + c] = static_cast<float>(sdy[c]);
      sum_dy_xc[c0 + c] = static_cast<float>(sdx[c]);
    }
  }
}

void f32_batchnorm_bwd_from_sums_tiled(size_t rows, size_t channels, float eps, const float* x,
                                       const float* gamma, const float* mean, const float* var,
                                       const float* dy, const float* sum_dy, const float* sum_dy_xc,
                                       float* dx, float* dgamma, float* dbeta, size_t c_begin,
                                       size_t c_end) {
  assert(rows >= 1 && eps >= 0.0f);
  assert(x != nullptr && gamma != nullptr && mean != nullptr && var != nullptr && dy != nullptr);
  assert(sum_dy != nullptr && sum_dy_xc != nullptr && dgamma != nullptr && dbeta != nullptr);
  assert(c_begin <= c_end && c_end <= channels);
  double sdy[kChannelBlock], sdx[kChannelBlock];
  for (size_t c0 = c_begin; c0 < c_end; c0 += kChannelBlock) {
    const size_t cb = block_size(c0, c_end);
    for (size_t c = 0; c < cb; c++) {  // read before block_gradients writes: the sums may be dbeta, dgamma
      sdy[c] = sum_dy[c0 + c];
      sdx[c] = sum_dy_xc[c0 + c];
    }
    block_gradients(rows, channels, c0, cb, eps, x, gamma, mean, var, dy, sdy, sdx, dx, dgamma, dbeta);
  }
}
