// Training-mode batch-norm backward, through the batch statistics (PyTorch's formula):
//   dx = gamma * invstd * (dy - mean(dy) - xhat * mean(dy * xhat)).
// invstd is recomputed from the saved variance so the forward need not keep a second vector.
// dx may be null: a trainable BatchNorm over a frozen layer's output needs no input gradient.
#include <cassert>
#include <cmath>

#include "kernels/kernels.h"

void f32_batchnorm_bwd_scalar(size_t rows, size_t channels, float eps, const float* x,
                              const float* gamma, const float* mean, const float* var,
                              const float* dy, float* dx, float* dgamma, float* dbeta) {
  assert(rows >= 1 && eps >= 0.0f);
  assert(x != nullptr && gamma != nullptr && mean != nullptr && var != nullptr);
  assert(dy != nullptr && dgamma != nullptr && dbeta != nullptr);
  for (size_t c = 0; c < channels; c++) {
    const float invstd = 1.0f / std::sqrt(var[c] + eps);
    double sum_dy = 0.0;
    double sum_dy_xc = 0.0;  // sum of dy * (x - mean)
    for (size_t r = 0; r < rows; r++) {
      const float d = dy[r * channels + c];
      sum_dy += d;
      sum_dy_xc += static_cast<double>(d) * static_cast<double>(x[r * channels + c] - mean[c]);
    }
    dbeta[c] = static_cast<float>(sum_dy);
    dgamma[c] = static_cast<float>(sum_dy_xc * invstd);
    const double inv_rows = 1.0 / static_cast<double>(rows);
    const float mean_dy = static_cast<float>(sum_dy * inv_rows);
    // (x - mean) * k == xhat * mean(dy * xhat), with k = mean(dy * (x - mean)) * invstd^2.
    const float k = static_cast<float>(sum_dy_xc * inv_rows) * invstd * invstd;
    const float scale = gamma[c] * invstd;
    for (size_t r = 0; r < rows && dx != nullptr; r++) {
      const size_t i = r * channels + c;
      dx[i] = (dy[i] - mean_dy - (x[i] - mean[c]) * k) * scale;
    }
  }
}
