// ReLU6 forward: y = min(max(x, 0), 6); NaN propagates, as in PyTorch's hardtanh.
#include <cassert>

#include "kernels/kernels.h"

void f32_relu6_scalar(size_t n, const float* x, float* y) {
  assert(n == 0 || (x != nullptr && y != nullptr));
  for (size_t i = 0; i < n; i++) {
    const float v = x[i];
    y[i] = v < 0.0f ? 0.0f : (v > 6.0f ? 6.0f : v);
  }
}
