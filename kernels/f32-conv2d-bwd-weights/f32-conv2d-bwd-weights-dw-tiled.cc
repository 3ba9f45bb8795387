// Weight and bias gradients of a depthwise convolution (groups = in_c = out_c):
//   dw[c][tap] = sum over pixels of dy[p][c] * x[p shifted by tap][c].
// Channel blocks accumulate in a [tap][channel] array on the stack, so the inner loop runs over
// contiguous channels of x and dy (the scalar reference's inner loop has length 1 here).
#include <cassert>

#include "kernels/kernels.h"

namespace {
constexpr size_t kBlock = 64;
constexpr size_t kMaxTaps = 49;  // up to 7x7
}  // namespace

void f32_conv2d_bwd_weights_dw_tiled(const f32_window_geometry& g, const float* x, const float* dy,
                                     float* dw, float* dbias, size_t c_begin, size_t c_end) {
  assert(x != nullptr && dy != nullptr && dw != nullptr);
  assert(g.groups == g.in_c && g.in_c == g.out_c && window_geometry_valid(g));
  const size_t taps = g.kernel_h * g.kernel_w;
  assert(taps <= kMaxTaps && c_begin <= c_end && c_end <= g.in_c);
  const size_t ch = g.in_c;
  float acc[kMaxTaps][kBlock];
  for (size_t c0 = c_begin; c0 < c_end; c0 += kBlock) {
    const size_t cb = c_end - c0 < kBlock ? c_end - c0 : kBlock;
    for (size_t t = 0; t < taps; t++)
      for (size_t c = 0; c < cb; c++) acc[t][c] = 0.0f;
    for (size_t n = 0; n < g.batch; n++) {
      for (size_t oh = 0; oh < g.out_h; oh++) {
        for (size_t ow = 0; ow < g.out_w; ow++) {
          const float* dp = dy + ((n * g.out_h + oh) * g.out_w + ow) * ch + c0;
          for_each_input_tap(g, oh, ow, [&](size_t kh, size_t kw, size_t ih, size_t iw) {
            const float* xp = x + ((n * g.in_h + ih) * g.in_w + iw) * ch + c0;
            float* a = acc[kh * g.kernel_w + kw];
            for (size_t c = 0; c < cb; c++) a[c] += dp[c] * xp[c];
          });
        }
      }
    }
    for (size_t c = 0; c < cb; c++)
      for (size_t t = 0; t < taps; t++) dw[(c0 + c) * taps + t] = acc[t][c];
  }
  if (dbias == nullptr) return;
  for (size_t c = c_begin; c < c_end; c++) dbias[c] = 0.0f;
  const size_t pixels = g.batch * g.out_h * g.out_w;
  for (size_t p = 0; p < pixels; p++)
    for (size_t c = c_begin; c < c_end; c++) dbias[c] += dy[p * ch + c];
}
