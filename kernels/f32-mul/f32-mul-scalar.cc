// Products, the references: same shapes, and a [batch, channels] gate broadcast over each
// image's pixels (squeeze-and-excitation). y may be a.
#include <cassert>

#include "kernels/kernels.h"
#include "mul-rows.h"

void f32_mul_scalar(size_t n, const float* a, const float* b, float* y) {
  assert(n == 0 || (a != nullptr && b != nullptr && y != nullptr));
  for (size_t i = 0; i < n; i++) y[i] = a[i] * b[i];
}

void f32_mul_channels_scalar(size_t batch, size_t pixels, size_t channels, const float* a,
                             const float* b, float* y) {
  mul_rows(batch, pixels, channels, a, b, y, f32_mul_scalar);
}
