// Running statistics, PyTorch semantics: the running variance tracks the unbiased estimate
// while the batch itself was normalised with the biased one.
#include <cassert>

#include "kernels/kernels.h"

void f32_batchnorm_update_running_scalar(size_t rows, size_t channels, float momentum,
                                         const float* mean, const float* var, float* running_mean,
                                         float* running_var) {
  assert(rows >= 2);  // PyTorch refuses to train BN on a single value per channel, as do we
  assert(momentum >= 0.0f && momentum <= 1.0f);
  assert(mean != nullptr && var != nullptr && running_mean != nullptr && running_var != nullptr);
  const float bessel = static_cast<float>(static_cast<double>(rows) / static_cast<double>(rows - 1));
  for (size_t c = 0; c < channels; c++) {
    running_mean[c] = (1.0f - momentum) * running_mean[c] + momentum * mean[c];
    running_var[c] = (1.0f - momentum) * running_var[c] + momentum * (var[c] * bessel);
  }
}
