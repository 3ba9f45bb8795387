// HardSwish forward as PyTorch computes it: y = x * min(max(x + 3, 0), 6) / 6, in that order;
// NaN propagates.
#include <cassert>

#include "kernels/kernels.h"

void f32_hardswish_scalar(size_t n, const float* x, float* y) {
  assert(n == 0 || (x != nullptr && y != nullptr));
  for (size_t i = 0; i < n; i++) {
    float c = x[i] + 3.0f;
    c = c < 0.0f ? 0.0f : c;
    c = c > 6.0f ? 6.0f : c;
    y[i] = x[i] * c / 6.0f;
  }
}
