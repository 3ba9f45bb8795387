// Sigmoid forward, the reference: exp(-x) overflows to inf for x < -88.7, giving exactly 0; NaN
// propagates.
#include <cassert>
#include <cmath>

#include "kernels/kernels.h"

void f32_sigmoid_scalar(size_t n, const float* x, float* y) {
  assert(n == 0 || (x != nullptr && y != nullptr));
  for (size_t i = 0; i < n; i++) y[i] = 1.0f / (1.0f + std::exp(-x[i]));
}
