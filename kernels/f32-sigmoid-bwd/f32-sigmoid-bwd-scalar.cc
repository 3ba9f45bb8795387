// Sigmoid backward from the forward's output, in PyTorch's order: dx = dy * (1 - y) * y.
#include <cassert>

#include "kernels/kernels.h"

void f32_sigmoid_bwd_scalar(size_t n, const float* y, const float* dy, float* dx) {
  assert(n == 0 || (y != nullptr && dy != nullptr && dx != nullptr));
  for (size_t i = 0; i < n; i++) dx[i] = dy[i] * (1.0f - y[i]) * y[i];
}
