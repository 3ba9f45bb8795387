// Dropout backward, the reference: dx = dy * scale where the forward kept the element, else 0,
// from the forward's mask alone (dropout_rng.h: scale = 1 / (1 - p) in float).
#include <cassert>

#include "kernels/dropout_rng.h"
#include "kernels/kernels.h"

void f32_dropout_bwd_scalar(size_t n, float p, const uint8_t* mask, const float* dy, float* dx) {
  assert(n == 0 || (mask != nullptr && dy != nullptr && dx != nullptr));
  assert(p >= 0.0f && p < 1.0f);
  const float scale = dropout_scale(p);
  for (size_t i = 0; i < n; i++) dx[i] = (mask[i / 8] >> (i % 8) & 1u) != 0 ? dy[i] * scale : 0.0f;
}
