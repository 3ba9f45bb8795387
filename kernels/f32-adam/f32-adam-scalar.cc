// Adam, PyTorch's torch.optim.Adam (amsgrad off, L2 weight decay added to the gradient, not
// AdamW's decoupled decay). The bias corrections use the 1-based step count; the denominator is
// sqrt(v) / sqrt(1 - beta2^t) + eps, in that order, as PyTorch computes it.
#include <cassert>
#include <cmath>

#include "kernels/kernels.h"

void f32_adam_scalar(size_t n, float lr, float beta1, float beta2, float eps, float weight_decay,
                     uint32_t step, float* w, const float* g, float* m, float* v) {
  assert(step >= 1);
  assert(n == 0 || (w != nullptr && g != nullptr && m != nullptr && v != nullptr));
  const float bias1 = 1.0f - static_cast<float>(std::pow(static_cast<double>(beta1), step));
  const float bias2 = 1.0f - static_cast<float>(std::pow(static_cast<double>(beta2), step));
  const float step_size = lr / bias1;
  const float bias2_sqrt = std::sqrt(bias2);
  for (size_t i = 0; i < n; i++) {
    const float grad = g[i] + weight_decay * w[i];
    m[i] = beta1 * m[i] + (1.0f - beta1) * grad;
    v[i] = beta2 * v[i] + (1.0f - beta2) * grad * grad;
    const float denom = std::sqrt(v[i]) / bias2_sqrt + eps;
    w[i] -= step_size * m[i] / denom;
  }
}
