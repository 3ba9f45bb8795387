// Inference-mode batch normalisation with the running statistics.
#include <cassert>
#include <cmath>

#include "kernels/kernels.h"

void f32_batchnorm_fwd_eval_scalar(size_t rows, size_t channels, float eps, const float* x,
                                   const float* gamma, const float* beta,
                                   const float* running_mean, const float* running_var, float* y) {
  assert(eps >= 0.0f);
  assert(x != nullptr && gamma != nullptr && beta != nullptr && y != nullptr);
  assert(running_mean != nullptr && running_var != nullptr);
  for (size_t c = 0; c < channels; c++) {
    const float scale = gamma[c] / std::sqrt(running_var[c] + eps);
    for (size_t r = 0; r < rows; r++) {
      y[r * channels + c] = (x[r * channels + c] - running_mean[c]) * scale + beta[c];
    }
  }
}
