// ReLU backward, same mask as the scalar reference, written so GCC vectorises it: dy is loaded
// unconditionally (the reference's conditional load blocks if-conversion). Elementwise, so the
// runtime tiles it by element ranges (offset pointers).
#include <cassert>

#include "kernels/kernels.h"

void f32_relu_bwd_tiled(size_t n, const float* y, const float* dy, float* dx) {
  assert(n == 0 || (y != nullptr && dy != nullptr && dx != nullptr));
  for (size_t i = 0; i < n; i++) {
    const float d = dy[i];
    dx[i] = y[i] <= 0.0f ? 0.0f : d;
  }
}
