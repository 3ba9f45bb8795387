// Training-mode batch normalisation: statistics of this batch, biased variance (as PyTorch
// normalises). Sums run in double, as PyTorch's CPU kernel does: rows = N*H*W reaches 10^5.
#include <cassert>
#include <cmath>

#include "kernels/kernels.h"

void f32_batchnorm_fwd_train_scalar(size_t rows, size_t channels, float eps, const float* x,
                                    const float* gamma, const float* beta, float* y, float* mean,
                                    float* var) {
  assert(rows >= 1 && channels >= 1 && eps >= 0.0f);
  assert(x != nullptr && gamma != nullptr && beta != nullptr);
  assert(y != nullptr && mean != nullptr && var != nullptr);
  for (size_t c = 0; c < channels; c++) {
    double sum = 0.0;
    for (size_t r = 0; r < rows; r++) sum += x[r * channels + c];
    const double mu = sum / static_cast<double>(rows);
    // Two passes rather than E[x^2]-E[x]^2, which cancels badly when |mean| >> std.
    double sq = 0.0;
    for (size_t r = 0; r < rows; r++) {
      const double d = x[r * channels + c] - mu;
      sq += d * d;
    }
    mean[c] = static_cast<float>(mu);
    var[c] = static_cast<float>(sq / static_cast<double>(rows));
  }
  for (size_t c = 0; c < channels; c++) {
    // Normalise with the float statistics we hand to backward, so both see the same numbers.
    const float invstd = 1.0f / std::sqrt(var[c] + eps);
    const float scale = gamma[c] * invstd;
    for (size_t r = 0; r < rows; r++) {
      y[r * channels + c] = (x[r * channels + c] - mean[c]) * scale + beta[c];
    }
  }
}
