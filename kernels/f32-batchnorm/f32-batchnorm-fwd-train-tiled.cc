// Training-mode batch norm over a channel range, row-major: the inner loops run over contiguous
// channels, so they vectorise (the scalar reference walks one channel down all rows at a time).
// Same two-pass statistics as the reference; sums are float over blocks of kRowBlock rows and
// double across blocks, so the error stays that of a kRowBlock-term float sum. The normalising
// pass is f32_batchnorm_apply_tiled, which also runs evaluation and recomputations.
#include <cassert>
#include <cmath>

#include "kernels/kernels.h"

namespace {
constexpr size_t kChannelBlock = 256, kRowBlock = 64;
}  // namespace

void f32_batchnorm_fwd_train_tiled(size_t rows, size_t channels, float eps, const float* x,
                                   const float* gamma, const float* beta, float* y, float* mean,
                                   float* var, size_t c_begin, size_t c_end) {
  assert(rows >= 1 && channels >= 1 && eps >= 0.0f);
  assert(x != nullptr && gamma != nullptr && beta != nullptr);
  assert(y != nullptr && mean != nullptr && var != nullptr);
  assert(c_begin <= c_end && c_end <= channels);
  double acc[kChannelBlock];
  float part[kChannelBlock], mu[kChannelBlock];
  for (size_t c0 = c_begin; c0 < c_end; c0 += kChannelBlock) {
    const size_t cb = c_end - c0 < kChannelBlock ? c_end - c0 : kChannelBlock;
    const float* xc = x + c0;
    // Pass 1: mean.
    for (size_t c = 0; c < cb; c++) acc[c] = 0.0;
    for (size_t r0 = 0; r0 < rows; r0 += kRowBlock) {
      const size_t re = rows - r0 < kRowBlock ? rows : r0 + kRowBlock;
      for (size_t c = 0; c < cb; c++) part[c] = 0.0f;
      for (size_t r = r0; r < re; r++)
        for (size_t c = 0; c < cb; c++) part[c] += xc[r * channels + c];
      for (size_t c = 0; c < cb; c++) acc[c] += part[c];
    }
    for (size_t c = 0; c < cb; c++) {
      mean[c0 + c] = static_cast<float>(acc[c] / static_cast<double>(rows));
      mu[c] = mean[c0 + c];
    }
    // Pass 2: biased variance about the float mean.
    for (size_t c = 0; c < cb; c++) acc[c] = 0.0;
    for (size_t r0 = 0; r0 < rows; r0 += kRowBlock) {
      const size_t re = rows - r0 < kRowBlock ? rows : r0 + kRowBlock;
      for (size_t c = 0; c < cb; c++) part[c] = 0.0f;
      for (size_t r = r0; r < re; r++) {
        for (size_t c = 0; c < cb; c++) {
          const float d = xc[r * channels + c] - mu[c];
          part[c] += d * d;
        }
      }
      for (size_t c = 0; c < cb; c++) acc[c] += part[c];
    }
    for (size_t c = 0; c < cb; c++) var[c0 + c] = static_cast<float>(acc[c] / static_cast<double>(rows));
  }
  // Pass 3: normalise, as the apply kernel does (so a recomputation through it is exact).
  f32_batchnorm_apply_tiled(rows, channels, eps, x, gamma, beta, mean, var, y, c_begin, c_end);
}

void f32_batchnorm_apply_tiled(size_t rows, size_t channels, float eps, const float* x,
                               const float* gamma, const float* beta, const float* mean,
                               const float* var, float* y, size_t c_begin, size_t c_end) {
  assert(c_begin <= c_end && c_end <= channels);
  float scale[kChannelBlock], shift[kChannelBlock];
  for (size_t c0 = c_begin; c0 < c_end; c0 += kChannelBlock) {
    const size_t cb = c_end - c0 < kChannelBlock ? c_end - c0 : kChannelBlock;
    for (size_t c = 0; c < cb; c++) {
      scale[c] = gamma[c0 + c] * (1.0f / std::sqrt(var[c0 + c] + eps));
      shift[c] = beta[c0 + c] - mean[c0 + c] * scale[c];
    }
    for (size_t r = 0; r < rows; r++) {  // y may be x: each element is read before it is written
      float* yr = y + r * channels + c0;
      const float* xr = x + r * channels + c0;
      for (size_t c = 0; c < cb; c++) yr[c] = xr[c] * scale[c] + shift[c];
    }
  }
}
