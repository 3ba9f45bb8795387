// Average-pooling backward from dy alone (no activation kept): each dy / divisor added to every
// input cell of its window, output pixels in raster order (PyTorch's avg_pool2d_backward).
#include <cassert>

#include "kernels/kernels.h"

void f32_avgpool2d_bwd_scalar(const f32_window_geometry& g, const f32_avgpool_params& a,
                              const float* dy, float* dx) {
  assert(dy != nullptr && dx != nullptr);
  assert(g.in_c == g.out_c && window_geometry_valid(g));
  assert(g.pad_top < g.kernel_h && g.pad_left < g.kernel_w);
  const size_t cs = g.in_c, image = g.in_h * g.in_w * cs;
  for (size_t i = 0; i < g.batch * image; i++) dx[i] = 0.0f;  // strided windows skip cells
  for (size_t n = 0; n < g.batch; n++) {
    float* dxn = dx + n * image;
    for (size_t oh = 0; oh < g.out_h; oh++) {
      for (size_t ow = 0; ow < g.out_w; ow++) {
        const avgpool_window w = avgpool_window_at(g, a, oh, ow);
        const float* dyp = dy + ((n * g.out_h + oh) * g.out_w + ow) * cs;
        for (size_t c = 0; c < cs; c++) {
          const float share = dyp[c] / w.divisor;
          for (size_t ih = w.h0; ih < w.h1; ih++) {
            for (size_t iw = w.w0; iw < w.w1; iw++) dxn[(ih * g.in_w + iw) * cs + c] += share;
          }
        }
      }
    }
  }
}
