// ReLU / ReLU6 backward from the forward's 1-bit mask (f32_relu_mask_tiled): dx = dy where the
// bit is set, else 0. dx may be dy (in place). Tiles start at multiples of 8 elements. Eight
// lanes at a time: each mask byte becomes two 4-lane selects.
#include <cassert>
#include <cstdint>

#include "kernels/kernels.h"
#include "kernels/vec4.h"

namespace {
typedef int32_t v4i __attribute__((vector_size(16)));
}  // namespace

void f32_relu_bwd_mask_tiled(size_t n, const uint8_t* mask, const float* dy, float* dx) {
  assert(n == 0 || (mask != nullptr && dy != nullptr && dx != nullptr));
  const v4i low = {1, 2, 4, 8}, high = {16, 32, 64, 128};
  const v4f zero = {};
  size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    const int32_t byte = mask[i / 8];
    const v4i bits = {byte, byte, byte, byte};
    const v4f a = load4(dy + i), b = load4(dy + i + 4);
    store4(dx + i, (bits & low) != 0 ? a : zero);
    store4(dx + i + 4, (bits & high) != 0 ? b : zero);
  }
  if (i < n) {
    const unsigned bits = mask[i / 8];
    for (size_t l = 0; i + l < n; l++) {
      const float d = dy[i + l];
      dx[i + l] = (bits >> l) & 1u ? d : 0.0f;
    }
  }
}
