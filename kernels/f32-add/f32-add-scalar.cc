// Elementwise sum of two equally shaped tensors.
#include <cassert>

#include "kernels/kernels.h"

void f32_add_scalar(size_t n, const float* a, const float* b, float* y) {
  assert(n == 0 || (a != nullptr && b != nullptr && y != nullptr));
  for (size_t i = 0; i < n; i++) y[i] = a[i] + b[i];
}
