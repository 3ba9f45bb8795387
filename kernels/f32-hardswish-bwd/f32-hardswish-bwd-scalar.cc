// HardSwish backward from the forward's input, PyTorch's hardswish_backward exactly: 0 below -3,
// dy * (x / 3 + 0.5) on [-3, 3] (both ends: -dy/2 at -3, 3dy/2 at 3), dy above 3 (and for NaN).
#include <cassert>

#include "kernels/kernels.h"

void f32_hardswish_bwd_scalar(size_t n, const float* x, const float* dy, float* dx) {
  assert(n == 0 || (x != nullptr && dy != nullptr && dx != nullptr));
  for (size_t i = 0; i < n; i++) {
    const float v = x[i];
    dx[i] = v < -3.0f ? 0.0f : (v <= 3.0f ? dy[i] * (v / 3.0f + 0.5f) : dy[i]);
  }
}
