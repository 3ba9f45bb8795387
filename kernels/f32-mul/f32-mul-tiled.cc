// Products, four lanes at a time (a product is one rounding: the same bits as the references).
#include <cassert>

#include "kernels/kernels.h"
#include "kernels/vec4.h"
#include "mul-rows.h"

void f32_mul_tiled(size_t n, const float* a, const float* b, float* y) {
  assert(n == 0 || (a != nullptr && b != nullptr && y != nullptr));
  size_t i = 0;
  for (; i + 4 <= n; i += 4) store4(y + i, load4(a + i) * load4(b + i));
  f32_mul_scalar(n - i, a + i, b + i, y + i);
}

void f32_mul_channels_tiled(size_t batch, size_t pixels, size_t channels, const float* a,
                            const float* b, float* y) {
  mul_rows(batch, pixels, channels, a, b, y, f32_mul_tiled);
}
