// Input gradient of a depthwise convolution (groups = in_c = out_c): each output pixel's dy
// scatters through its window, channel blocks at a time with the block's weights transposed to
// [tap][channel] on the stack so the inner loop runs over contiguous channels.
#include <cassert>

#include "kernels/kernels.h"

namespace {
constexpr size_t kBlock = 64;
constexpr size_t kMaxTaps = 49;  // up to 7x7
}  // namespace

void f32_conv2d_bwd_data_dw_tiled(const f32_window_geometry& g, const float* dy, const float* w,
                                  float* dx, size_t n_begin, size_t n_end) {
  assert(dy != nullptr && w != nullptr && dx != nullptr);
  assert(g.groups == g.in_c && g.in_c == g.out_c && window_geometry_valid(g));
  const size_t taps = g.kernel_h * g.kernel_w;
  assert(taps <= kMaxTaps && n_begin <= n_end && n_end <= g.batch);
  const size_t ch = g.in_c, image = g.in_h * g.in_w * ch;
  for (size_t i = n_begin * image; i < n_end * image; i++) dx[i] = 0.0f;
  float wt[kMaxTaps][kBlock];
  for (size_t c0 = 0; c0 < ch; c0 += kBlock) {
    const size_t cb = ch - c0 < kBlock ? ch - c0 : kBlock;
    for (size_t c = 0; c < cb; c++)
      for (size_t t = 0; t < taps; t++) wt[t][c] = w[(c0 + c) * taps + t];
    for (size_t n = n_begin; n < n_end; n++) {
      for (size_t oh = 0; oh < g.out_h; oh++) {
        for (size_t ow = 0; ow < g.out_w; ow++) {
          const float* dp = dy + ((n * g.out_h + oh) * g.out_w + ow) * ch + c0;
          for_each_input_tap(g, oh, ow, [&](size_t kh, size_t kw, size_t ih, size_t iw) {
            float* xp = dx + ((n * g.in_h + ih) * g.in_w + iw) * ch + c0;
            const float* wp = wt[kh * g.kernel_w + kw];
            for (size_t c = 0; c < cb; c++) xp[c] += dp[c] * wp[c];
          });
        }
      }
    }
  }
}
