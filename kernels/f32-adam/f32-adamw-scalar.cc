// AdamW, PyTorch's torch.optim.AdamW (amsgrad off): the weight decay is decoupled from the
// gradient, w *= 1 - lr * weight_decay, then Adam's step on the gradient alone. PyTorch runs the
// two as separate passes over w, and so do we: the step is f32_adam_scalar's, not a copy of it.
#include <cassert>

#include "kernels/kernels.h"

void f32_adamw_scalar(size_t n, float lr, float beta1, float beta2, float eps, float weight_decay,
                      uint32_t step, float* w, const float* g, float* m, float* v) {
  assert(n == 0 || w != nullptr);
  const float decay = 1.0f - lr * weight_decay;
  for (size_t i = 0; i < n; i++) w[i] *= decay;
  f32_adam_scalar(n, lr, beta1, beta2, eps, 0.0f, step, w, g, m, v);
}
