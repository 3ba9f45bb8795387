// The broadcast product's gate gradient, pixel rows streamed in order: per group of up to
// kGroup channels the block's float sums live in four-lane registers (the tail channels in
// scalars), each channel summed in the reference's order, so the same bits.
#include <cassert>

#include "kernels/kernels.h"
#include "kernels/vec4.h"
#include "mul-bwd-block.h"

namespace {
constexpr size_t kGroup = 64;  // channels whose sums one pass over a block keeps
}  // namespace

void f32_mul_channels_bwd_tiled(size_t batch, size_t pixels, size_t channels, const float* a,
                                const float* dy, float* db) {
  assert(batch * pixels * channels == 0 || (a != nullptr && dy != nullptr && db != nullptr));
  for (size_t n = 0; n < batch; n++) {
    const size_t image = n * pixels * channels;
    for (size_t c0 = 0; c0 < channels; c0 += kGroup) {
      const size_t width = channels - c0 < kGroup ? channels - c0 : kGroup, lanes = width / 4 * 4;
      double total[kGroup] = {};
      for (size_t p0 = 0; p0 < pixels; p0 += kMulBwdBlock) {
        v4f s4[kGroup / 4] = {};
        float s[kGroup] = {};
        for (size_t p = p0; p < pixels && p < p0 + kMulBwdBlock; p++) {
          const size_t row = image + p * channels + c0;
          for (size_t c = 0; c < lanes; c += 4) s4[c / 4] += load4(dy + row + c) * load4(a + row + c);
          for (size_t c = lanes; c < width; c++) s[c] += dy[row + c] * a[row + c];
        }
        for (size_t c = 0; c < lanes; c++) s[c] = s4[c / 4][c % 4];
        for (size_t c = 0; c < width; c++) total[c] += s[c];
      }
      for (size_t c = 0; c < width; c++) db[n * channels + c0 + c] = static_cast<float>(total[c]);
    }
  }
}
