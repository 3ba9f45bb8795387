// ReLU / ReLU6 backward from the forward's 1-bit mask (f32_relu_mask_tiled): dx = dy where the
// bit is set, else 0. dx may be dy (in place). Tiles start at multiples of 8 elements.
#include <cassert>
#include <cstdint>

#include "kernels/kernels.h"

void f32_relu_bwd_mask_tiled(size_t n, const uint8_t* mask, const float* dy, float* dx) {
  assert(n == 0 || (mask != nullptr && dy != nullptr && dx != nullptr));
  for (size_t i = 0; i < n; i += 8) {
    const size_t lanes = n - i < 8 ? n - i : 8;
    const unsigned bits = mask[i / 8];
    for (size_t l = 0; l < lanes; l++) {
      const float d = dy[i + l];
      dx[i + l] = (bits >> l) & 1u ? d : 0.0f;
    }
  }
}
