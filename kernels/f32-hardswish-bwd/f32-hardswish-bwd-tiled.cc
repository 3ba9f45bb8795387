// HardSwish backward, four lanes at a time; the same bits as the scalar reference.
#include <cassert>

#include "kernels/kernels.h"
#include "kernels/vec4.h"

void f32_hardswish_bwd_tiled(size_t n, const float* x, const float* dy, float* dx) {
  assert(n == 0 || (x != nullptr && dy != nullptr && dx != nullptr));
  const v4f zero = {}, half = {0.5f, 0.5f, 0.5f, 0.5f};
  const v4f three = {3.0f, 3.0f, 3.0f, 3.0f}, minus_three = -three;
  size_t i = 0;
  for (; i + 4 <= n; i += 4) {
    const v4f v = load4(x + i), d = load4(dy + i);
    const v4f middle = d * (v / three + half);
    store4(dx + i, v < minus_three ? zero : (v <= three ? middle : d));
  }
  f32_hardswish_bwd_scalar(n - i, x + i, dy + i, dx + i);
}
