// Dropout backward, eight elements at a time: each mask byte becomes two four-lane selects of
// dy * scale. The reference's operations (built with -ffp-contract=off), so the same bits.
#include <cassert>

#include "kernels/dropout_rng.h"
#include "kernels/kernels.h"
#include "kernels/vec4.h"

namespace {
typedef int32_t v4i __attribute__((vector_size(16)));
}  // namespace

void f32_dropout_bwd_tiled(size_t n, float p, const uint8_t* mask, const float* dy, float* dx) {
  assert(n == 0 || (mask != nullptr && dy != nullptr && dx != nullptr));
  assert(p >= 0.0f && p < 1.0f);
  const float s = dropout_scale(p);
  const v4f scale = {s, s, s, s}, zero = {};
  const v4i low = {1, 2, 4, 8}, high = {16, 32, 64, 128};
  size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    const int32_t byte = mask[i / 8];
    const v4i bits = {byte, byte, byte, byte};
    const v4f a = load4(dy + i) * scale, b = load4(dy + i + 4) * scale;
    store4(dx + i, (bits & low) != 0 ? a : zero);
    store4(dx + i + 4, (bits & high) != 0 ? b : zero);
  }
  f32_dropout_bwd_scalar(n - i, p, mask + i / 8, dy + i, dx + i);
}
