// Sigmoid backward, four lanes at a time; the scalar reference's operations in its order (built
// with -ffp-contract=off), so the same bits.
#include <cassert>

#include "kernels/kernels.h"
#include "kernels/vec4.h"

void f32_sigmoid_bwd_tiled(size_t n, const float* y, const float* dy, float* dx) {
  assert(n == 0 || (y != nullptr && dy != nullptr && dx != nullptr));
  const v4f one = {1.0f, 1.0f, 1.0f, 1.0f};
  size_t i = 0;
  for (; i + 4 <= n; i += 4) {
    const v4f v = load4(y + i);
    store4(dx + i, load4(dy + i) * (one - v) * v);
  }
  f32_sigmoid_bwd_scalar(n - i, y + i, dy + i, dx + i);
}
