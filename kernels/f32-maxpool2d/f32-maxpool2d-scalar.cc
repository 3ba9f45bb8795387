// Max pooling; padded positions are skipped rather than read as -inf, so padding never wins.
#include <cassert>
#include <cmath>
#include <limits>

#include "kernels/kernels.h"

void f32_maxpool2d_scalar(const f32_window_geometry& g, const float* x, float* y) {
  assert(x != nullptr && y != nullptr);
  assert(g.in_c == g.out_c);
  assert(window_geometry_valid(g));
  // Every window must hold at least one real pixel, else its max would be -inf.
  assert(g.pad_top < g.kernel_h && g.pad_left < g.kernel_w);
  const size_t c_count = g.in_c;
  for (size_t n = 0; n < g.batch; n++) {
    const float* xn = x + n * g.in_h * g.in_w * c_count;
    for (size_t oh = 0; oh < g.out_h; oh++) {
      for (size_t ow = 0; ow < g.out_w; ow++) {
        float* yp = y + ((n * g.out_h + oh) * g.out_w + ow) * c_count;
        for (size_t c = 0; c < c_count; c++) {
          float best = -std::numeric_limits<float>::infinity();
          for_each_input_tap(g, oh, ow, [&](size_t, size_t, size_t ih, size_t iw) {
            const float v = xn[(ih * g.in_w + iw) * c_count + c];
            // Strictly greater keeps the first maximum; NaN wins, as in PyTorch.
            if (v > best || std::isnan(v)) best = v;
          });
          yp[c] = best;
        }
      }
    }
  }
}
