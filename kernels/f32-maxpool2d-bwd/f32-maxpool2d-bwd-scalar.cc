// Max-pooling backward from the input alone: the argmax is found again instead of being stored,
// which costs a second scan but no index tensor in the arena.
#include <cassert>
#include <cmath>
#include <limits>

#include "kernels/kernels.h"

void f32_maxpool2d_bwd_scalar(const f32_window_geometry& g, const float* x, const float* dy,
                              float* dx) {
  assert(x != nullptr && dy != nullptr && dx != nullptr);
  assert(g.in_c == g.out_c);
  assert(window_geometry_valid(g));
  assert(g.pad_top < g.kernel_h && g.pad_left < g.kernel_w);
  const size_t c_count = g.in_c;
  const size_t dx_size = g.batch * g.in_h * g.in_w * c_count;
  // Overlapping windows (3x3/s2) may pick the same pixel, and most pixels get nothing.
  for (size_t i = 0; i < dx_size; i++) dx[i] = 0.0f;
  for (size_t n = 0; n < g.batch; n++) {
    const float* xn = x + n * g.in_h * g.in_w * c_count;
    float* dxn = dx + n * g.in_h * g.in_w * c_count;
    for (size_t oh = 0; oh < g.out_h; oh++) {
      for (size_t ow = 0; ow < g.out_w; ow++) {
        const float* dyp = dy + ((n * g.out_h + oh) * g.out_w + ow) * c_count;
        for (size_t c = 0; c < c_count; c++) {
          // Same scan and comparison as the forward (and PyTorch), so the winner is the forward's
          // winner; a window of all -inf sends its gradient to its first real pixel.
          float best = -std::numeric_limits<float>::infinity();
          size_t best_i = dx_size;
          for_each_input_tap(g, oh, ow, [&](size_t, size_t, size_t ih, size_t iw) {
            const size_t i = (ih * g.in_w + iw) * c_count + c;
            if (best_i == dx_size || xn[i] > best || std::isnan(xn[i])) {
              best = xn[i];
              best_i = i;
            }
          });
          dxn[best_i] += dyp[c];
        }
      }
    }
  }
}
