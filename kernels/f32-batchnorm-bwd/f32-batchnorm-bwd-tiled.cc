// Training-mode batch-norm backward over a channel range, row-major (vectorised over channels);
// same formula as the scalar reference, sums float per kRowBlock rows and double across blocks.
// dx may be null: a trainable BatchNorm over a frozen layer's output needs no input gradient.
#include <cassert>
#include <cmath>

#include "kernels/kernels.h"

namespace {
constexpr size_t kChannelBlock = 256, kRowBlock = 64;
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
  float pdy[kChannelBlock], pdx[kChannelBlock], mu[kChannelBlock];
  float mean_dy[kChannelBlock], k[kChannelBlock], scale[kChannelBlock];
  const double inv_rows = 1.0 / static_cast<double>(rows);
  for (size_t c0 = c_begin; c0 < c_end; c0 += kChannelBlock) {
    const size_t cb = c_end - c0 < kChannelBlock ? c_end - c0 : kChannelBlock;
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
    for (size_t c = 0; c < cb; c++) {
      const float invstd = 1.0f / std::sqrt(var[c0 + c] + eps);
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
}
