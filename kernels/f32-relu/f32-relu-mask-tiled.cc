// ReLU / ReLU6 forward that also writes its backward's 1-bit mask, so the backward needs neither
// the input nor the output: 1/32 of an activation kept instead of a whole one. The bit is the
// scalar backward references' own test (y > 0, and y < 6 for ReLU6), so a backward from the mask
// equals a backward from y bit for bit. Elementwise; the runtime tiles it by element ranges that
// start at multiples of 8 (a whole mask byte).
#include <cassert>
#include <cmath>
#include <cstdint>

#include "kernels/kernels.h"

void f32_relu_mask_tiled(size_t n, float upper, const float* x, float* y, uint8_t* mask) {
  assert(n == 0 || (x != nullptr && y != nullptr));
  const bool clipped = upper < INFINITY;
  for (size_t i = 0; i < n; i += 8) {
    const size_t lanes = n - i < 8 ? n - i : 8;
    unsigned bits = 0;
    for (size_t l = 0; l < lanes; l++) {
      float v = x[i + l];
      v = v < 0.0f ? 0.0f : v;  // comparisons written so that NaN passes through, as in PyTorch
      v = v > upper ? upper : v;
      y[i + l] = v;
      const bool pass = clipped ? v > 0.0f && v < upper : !(v <= 0.0f);  // NaN passes ReLU's
      bits |= static_cast<unsigned>(pass) << l;
    }
    if (mask != nullptr) mask[i / 8] = static_cast<uint8_t>(bits);
  }
}
