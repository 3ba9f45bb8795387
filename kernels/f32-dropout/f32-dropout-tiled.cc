// Dropout forward, eight elements at a time: one mask byte from four hashes (dropout_mask_byte),
// then two four-lane multiplies and selects. The reference's operations (built with
// -ffp-contract=off), so the same bits; the last partial byte runs the reference itself.
#include <cassert>

#include "kernels/dropout_rng.h"
#include "kernels/kernels.h"
#include "kernels/vec4.h"

namespace {
typedef int32_t v4i __attribute__((vector_size(16)));
}  // namespace

void f32_dropout_tiled(size_t n, float p, uint64_t key, uint64_t first, const float* x, float* y, uint8_t* mask) {
  assert(n == 0 || (x != nullptr && y != nullptr));
  assert(first % 8 == 0 && p >= 0.0f && p < 1.0f);
  const uint32_t threshold = dropout_threshold(p);
  const float s = dropout_scale(p);
  const v4f scale = {s, s, s, s}, zero = {};
  const v4i low = {1, 2, 4, 8}, high = {16, 32, 64, 128};
  size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    const int32_t byte = static_cast<int32_t>(dropout_mask_byte(key, threshold, first + i));
    const v4i bits = {byte, byte, byte, byte};
    const v4f a = load4(x + i) * scale, b = load4(x + i + 4) * scale;
    store4(y + i, (bits & low) != 0 ? a : zero);
    store4(y + i + 4, (bits & high) != 0 ? b : zero);
    if (mask != nullptr) mask[i / 8] = static_cast<uint8_t>(byte);
  }
  f32_dropout_scalar(n - i, p, key, first + i, x + i, y + i, mask == nullptr ? nullptr : mask + i / 8);
}
