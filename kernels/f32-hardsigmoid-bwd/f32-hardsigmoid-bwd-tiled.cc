// HardSigmoid backward, four lanes at a time; the same bits as the scalar reference.
#include <cassert>

#include "kernels/kernels.h"
#include "kernels/vec4.h"

void f32_hardsigmoid_bwd_tiled(size_t n, float alpha, const float* y, const float* dy, float* dx) {
  assert(n == 0 || (y != nullptr && dy != nullptr && dx != nullptr));
  const v4f a = {alpha, alpha, alpha, alpha};
  const v4f zero = {}, one = {1.0f, 1.0f, 1.0f, 1.0f};
  size_t i = 0;
  for (; i + 4 <= n; i += 4) {
    const v4f v = load4(y + i);
    store4(dx + i, (v > zero) & (v < one) ? load4(dy + i) * a : zero);
  }
  f32_hardsigmoid_bwd_scalar(n - i, alpha, y + i, dy + i, dx + i);
}
