// Max-pooling backward over images [n_begin, n_end) from the forward's winning taps
// (f32_maxpool2d_argmax_tiled): dx gets each dy at its window's winner; overlapping windows add,
// in the scalar reference's order (output pixels in raster order, channels innermost), so dx is
// the reference's bit for bit.
#include <cassert>
#include <cstdint>

#include "kernels/kernels.h"

void f32_maxpool2d_bwd_argmax_tiled(const f32_window_geometry& g, const uint8_t* tap,
                                    const float* dy, float* dx, size_t n_begin, size_t n_end) {
  assert(tap != nullptr && dy != nullptr && dx != nullptr);
  assert(g.in_c == g.out_c && window_geometry_valid(g));
  assert(g.kernel_h * g.kernel_w <= 256);
  assert(n_begin <= n_end && n_end <= g.batch);
  const size_t cs = g.in_c, image = g.in_h * g.in_w * cs;
  for (size_t i = n_begin * image; i < n_end * image; i++) dx[i] = 0.0f;
  size_t offset[256];  // of each tap's pixel in the image, for the current output pixel
  for (size_t n = n_begin; n < n_end; n++) {
    float* dxn = dx + n * image;
    for (size_t oh = 0; oh < g.out_h; oh++) {
      for (size_t ow = 0; ow < g.out_w; ow++) {
        for_each_input_tap(g, oh, ow, [&](size_t kh, size_t kw, size_t ih, size_t iw) {
          offset[kh * g.kernel_w + kw] = (ih * g.in_w + iw) * cs;
        });
        const size_t o = ((n * g.out_h + oh) * g.out_w + ow) * cs;
        const uint8_t* tp = tap + o;
        const float* dyp = dy + o;
        for (size_t c = 0; c < cs; c++) dxn[offset[tp[c]] + c] += dyp[c];
      }
    }
  }
}
