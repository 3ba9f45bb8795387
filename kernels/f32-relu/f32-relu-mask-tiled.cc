// ReLU / ReLU6 forward that also writes its backward's 1-bit mask, so the backward needs neither
// the input nor the output: 1/32 of an activation kept instead of a whole one. The bit is the
// scalar backward references' own test (ReLU: !(y <= 0), so NaN passes; ReLU6: 0 < y < 6), so a
// backward from the mask equals a backward from y bit for bit. Elementwise; the runtime tiles it
// by element ranges that start at multiples of 8 (a whole mask byte). Eight lanes at a time with
// vector compares and selects (GCC/Clang vector extensions: SSE here, NEON on the Pi).
#include <cassert>
#include <cmath>
#include <cstdint>

#include "kernels/kernels.h"
#include "kernels/vec4.h"

namespace {

typedef int32_t v4i __attribute__((vector_size(16)));

// y and the gradient's pass bit of one element; comparisons written so that NaN passes through
// the forward, as in PyTorch.
inline float relu_one(float v, float upper, bool clipped, unsigned* pass) {
  v = v < 0.0f ? 0.0f : v;
  v = v > upper ? upper : v;
  *pass = clipped ? v > 0.0f && v < upper : !(v <= 0.0f);
  return v;
}

// Lanes of -1 (pass) or 0, weighted into bits 0..3 and summed.
inline unsigned lane_bits(v4i pass, v4i weights) {
  const v4i b = pass & weights;
  return static_cast<unsigned>(b[0] + b[1] + b[2] + b[3]);
}

}  // namespace

void f32_relu_mask_tiled(size_t n, float upper, const float* x, float* y, uint8_t* mask) {
  assert(n == 0 || (x != nullptr && y != nullptr));
  const bool clipped = upper < INFINITY;
  const v4f zero = {}, up = {upper, upper, upper, upper};
  const v4i low = {1, 2, 4, 8}, high = {16, 32, 64, 128};
  size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    v4f a = load4(x + i), b = load4(x + i + 4);
    a = a < zero ? zero : a;
    b = b < zero ? zero : b;
    a = a > up ? up : a;
    b = b > up ? up : b;
    store4(y + i, a);
    store4(y + i + 4, b);
    if (mask == nullptr) continue;
    const v4i pa = clipped ? (a > zero) & (a < up) : ~(a <= zero);
    const v4i pb = clipped ? (b > zero) & (b < up) : ~(b <= zero);
    mask[i / 8] = static_cast<uint8_t>(lane_bits(pa, low) | lane_bits(pb, high));
  }
  if (i < n) {  // the last partial byte; its unused bits are 0
    unsigned bits = 0;
    for (size_t l = 0; i + l < n; l++) {
      unsigned pass;
      y[i + l] = relu_one(x[i + l], upper, clipped, &pass);
      bits |= pass << l;
    }
    if (mask != nullptr) mask[i / 8] = static_cast<uint8_t>(bits);
  }
}
