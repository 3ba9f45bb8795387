// Channel shuffle as a transpose of each pixel's [groups, channels / groups] matrix, written
// row by row of the output (no division per element). The two-row cases, groups == 2 (every
// shuffle of ShuffleNetV2) and channels / groups == 2 (its backward), run as vector zips and
// unzips (GCC/Clang vector extensions: SSE here, NEON's zip/uzp on the Pi). Only copies: the same
// bits as the reference.
#include <cassert>

#include "kernels/kernels.h"
#include "kernels/vec4.h"

namespace {

// y = a0 b0 a1 b1 ... (n pairs).
void zip(size_t n, const float* a, const float* b, float* y) {
  size_t k = 0;
  for (; k + 4 <= n; k += 4) {
    const v4f va = load4(a + k), vb = load4(b + k);
    store4(y + 2 * k, __builtin_shufflevector(va, vb, 0, 4, 1, 5));
    store4(y + 2 * k + 4, __builtin_shufflevector(va, vb, 2, 6, 3, 7));
  }
  for (; k < n; k++) y[2 * k] = a[k], y[2 * k + 1] = b[k];
}

// a = x0 x2 x4 ..., b = x1 x3 x5 ... (n pairs).
void unzip(size_t n, const float* x, float* a, float* b) {
  size_t k = 0;
  for (; k + 4 <= n; k += 4) {
    const v4f lo = load4(x + 2 * k), hi = load4(x + 2 * k + 4);
    store4(a + k, __builtin_shufflevector(lo, hi, 0, 2, 4, 6));
    store4(b + k, __builtin_shufflevector(lo, hi, 1, 3, 5, 7));
  }
  for (; k < n; k++) a[k] = x[2 * k], b[k] = x[2 * k + 1];
}

}  // namespace

void f32_channel_shuffle_tiled(size_t pixels, size_t channels, size_t groups, const float* x,
                               float* y) {
  assert(groups >= 1 && channels % groups == 0);
  assert(pixels == 0 || channels == 0 || (x != nullptr && y != nullptr && x != y));
  const size_t per_group = channels / groups;
  for (size_t p = 0; p < pixels; p++, x += channels, y += channels) {
    if (groups == 2) {
      zip(per_group, x, x + per_group, y);
    } else if (per_group == 2) {
      unzip(groups, x, y, y + groups);
    } else {
      float* out = y;
      for (size_t k = 0; k < per_group; k++) {
        for (size_t i = 0; i < groups; i++) *out++ = x[i * per_group + k];
      }
    }
  }
}
