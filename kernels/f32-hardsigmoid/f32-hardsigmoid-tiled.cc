// HardSigmoid forward, four lanes at a time: the scalar reference's operations (built with
// -ffp-contract=off), so the same bits.
#include <cassert>

#include "kernels/kernels.h"
#include "kernels/vec4.h"

void f32_hardsigmoid_tiled(size_t n, float alpha, float beta, const float* x, float* y) {
  assert(n == 0 || (x != nullptr && y != nullptr));
  const v4f a = {alpha, alpha, alpha, alpha}, b = {beta, beta, beta, beta};
  const v4f zero = {}, one = {1.0f, 1.0f, 1.0f, 1.0f};
  size_t i = 0;
  for (; i + 4 <= n; i += 4) {
    const v4f t = a * load4(x + i) + b;
    store4(y + i, t < zero ? zero : (t > one ? one : t));
  }
  f32_hardsigmoid_scalar(n - i, alpha, beta, x + i, y + i);
}
