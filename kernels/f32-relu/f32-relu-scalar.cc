#include <cassert>

#include "kernels/kernels.h"

void f32_relu_scalar(size_t n, const float* x, float* y) {
  assert(n == 0 || (x != nullptr && y != nullptr));
  // Written as "negative -> 0" so a NaN passes through, as in PyTorch, instead of being hidden.
  for (size_t i = 0; i < n; i++) y[i] = x[i] < 0.0f ? 0.0f : x[i];
}
