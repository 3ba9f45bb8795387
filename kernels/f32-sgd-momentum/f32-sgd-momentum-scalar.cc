// SGD with momentum and L2 weight decay, PyTorch's update (dampening 0, no Nesterov). With v
// starting at zero the first step gives v = g + wd*w, which is PyTorch's first-step buffer.
#include <cassert>

#include "kernels/kernels.h"

void f32_sgd_momentum_scalar(size_t n, float lr, float momentum, float weight_decay, float* w,
                             const float* g, float* v) {
  assert(n == 0 || (w != nullptr && g != nullptr && v != nullptr));
  for (size_t i = 0; i < n; i++) {
    v[i] = momentum * v[i] + (g[i] + weight_decay * w[i]);
    w[i] -= lr * v[i];
  }
}
