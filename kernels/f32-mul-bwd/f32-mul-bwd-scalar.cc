// The broadcast product's gate gradient, the reference: db[n, c] = sum over pixels of
// dy * a, in float over blocks of kMulBwdBlock pixels in order, in double across blocks (so a
// 112x112 image loses no more than a 64-term float sum). The other gradients are products
// (f32_mul_scalar, f32_mul_channels_scalar).
#include <cassert>

#include "kernels/kernels.h"
#include "mul-bwd-block.h"

void f32_mul_channels_bwd_scalar(size_t batch, size_t pixels, size_t channels, const float* a,
                                 const float* dy, float* db) {
  assert(batch * pixels * channels == 0 || (a != nullptr && dy != nullptr && db != nullptr));
  for (size_t n = 0; n < batch; n++) {
    const size_t image = n * pixels * channels;
    for (size_t c = 0; c < channels; c++) {
      double total = 0.0;
      for (size_t p0 = 0; p0 < pixels; p0 += kMulBwdBlock) {
        float s = 0.0f;
        for (size_t p = p0; p < pixels && p < p0 + kMulBwdBlock; p++) {
          s += dy[image + p * channels + c] * a[image + p * channels + c];
        }
        total += s;
      }
      db[n * channels + c] = static_cast<float>(total);
    }
  }
}
