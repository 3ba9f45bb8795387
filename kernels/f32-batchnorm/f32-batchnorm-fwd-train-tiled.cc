// Training-mode batch norm over a channel range, row-major: the inner loops run over contiguous
// channels, so they vectorise (the scalar reference walks one channel down all rows at a time).
// Same two-pass statistics as the reference; sums are float over blocks of kRowBlock rows and
// double across blocks, so the error stays that of a kRowBlock-term float sum. The passes are
// kernels of their own (mean, variance about a given mean, normalise) so that a data-parallel
// run can average each pass's statistics over its ranks in between (SyncBatchNorm); the
// training forward is the three in a row. The normalising pass, f32_batchnorm_apply_tiled, also
// runs evaluation and recomputations.
#include <cassert>
#include <cmath>

#include "kernels/kernels.h"

namespace {

constexpr size_t kChannelBlock = 256, kRowBlock = 64;

// out[c] = mean over the rows of term(r, c), for the block of cb channels at c0.
template <typename Term>
void channel_means(size_t rows, size_t cb, Term term, float* out) {
  double acc[kChannelBlock];
  float part[kChannelBlock];
  for (size_t c = 0; c < cb; c++) acc[c] = 0.0;
  for (size_t r0 = 0; r0 < rows; r0 += kRowBlock) {
    const size_t re = rows - r0 < kRowBlock ? rows : r0 + kRowBlock;
    for (size_t c = 0; c < cb; c++) part[c] = 0.0f;
    for (size_t r = r0; r < re; r++)
      for (size_t c = 0; c < cb; c++) part[c] += term(r, c);
    for (size_t c = 0; c < cb; c++) acc[c] += part[c];
  }
  for (size_t c = 0; c < cb; c++) out[c] = static_cast<float>(acc[c] / static_cast<double>(rows));
}

}  // namespace

void f32_batchnorm_mean_tiled(size_t rows, size_t channels, const float* x, float* mean,
                              size_t c_begin, size_t c_end) {
  assert(rows >= 1 && x != nullptr && mean != nullptr && c_begin <= c_end && c_end <= channels);
  for (size_t c0 = c_begin; c0 < c_end; c0 += kChannelBlock) {
    const size_t cb = c_end - c0 < kChannelBlock ? c_end - c0 : kChannelBlock;
    const float* xc = x + c0;
    channel_means(rows, cb, [&](size_t r, size_t c) { return xc[r * channels + c]; }, mean + c0);
  }
}

void f32_batchnorm_var_tiled(size_t rows, size_t channels, const float* x, const float* mean,
                             float* var, size_t c_begin, size_t c_end) {
  assert(rows >= 1 && x != nullptr && mean != nullptr && var != nullptr);
  assert(c_begin <= c_end && c_end <= channels);
  float mu[kChannelBlock];
  for (size_t c0 = c_begin; c0 < c_end; c0 += kChannelBlock) {
    const size_t cb = c_end - c0 < kChannelBlock ? c_end - c0 : kChannelBlock;
    const float* xc = x + c0;
    for (size_t c = 0; c < cb; c++) mu[c] = mean[c0 + c];
    auto square = [&](size_t r, size_t c) {
      const float d = xc[r * channels + c] - mu[c];
      return d * d;
    };
    channel_means(rows, cb, square, var + c0);
  }
}

void f32_batchnorm_fwd_train_tiled(size_t rows, size_t channels, float eps, const float* x,
                                   const float* gamma, const float* beta, float* y, float* mean,
                                   float* var, size_t c_begin, size_t c_end) {
  assert(rows >= 1 && channels >= 1 && eps >= 0.0f);
  assert(x != nullptr && gamma != nullptr && beta != nullptr);
  assert(y != nullptr && mean != nullptr && var != nullptr);
  f32_batchnorm_mean_tiled(rows, channels, x, mean, c_begin, c_end);
  f32_batchnorm_var_tiled(rows, channels, x, mean, var, c_begin, c_end);  // biased, about the float mean
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
