// Dropout forward, the reference: each element's keep bit from its own draw (dropout_rng.h), so
// the definition reads off the code.
#include <cassert>

#include "kernels/dropout_rng.h"
#include "kernels/kernels.h"

void f32_dropout_scalar(size_t n, float p, uint64_t key, uint64_t first, const float* x, float* y, uint8_t* mask) {
  assert(n == 0 || (x != nullptr && y != nullptr));
  assert(first % 8 == 0 && p >= 0.0f && p < 1.0f);
  const uint32_t threshold = dropout_threshold(p);
  const float scale = dropout_scale(p);
  unsigned bits = 0;
  for (size_t i = 0; i < n; i++) {
    const bool keep = dropout_keep(key, threshold, first + i);
    y[i] = keep ? x[i] * scale : 0.0f;
    bits |= (keep ? 1u : 0u) << (i % 8);
    if (i % 8 == 7 || i + 1 == n) {
      if (mask != nullptr) mask[i / 8] = static_cast<uint8_t>(bits);  // a partial byte's unused bits are 0
      bits = 0;
    }
  }
}
