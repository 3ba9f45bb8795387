// Average-pooling backward over images [n_begin, n_end), four channels at a time (vec4.h): each
// dx element receives the scalar reference's shares in its order, so the same bits.
#include <cassert>

#include "kernels/kernels.h"
#include "kernels/vec4.h"

void f32_avgpool2d_bwd_tiled(const f32_window_geometry& g, const f32_avgpool_params& a,
                             const float* dy, float* dx, size_t n_begin, size_t n_end) {
  assert(dy != nullptr && dx != nullptr);
  assert(g.in_c == g.out_c && window_geometry_valid(g));
  assert(g.pad_top < g.kernel_h && g.pad_left < g.kernel_w);
  assert(n_begin <= n_end && n_end <= g.batch);
  const size_t cs = g.in_c, image = g.in_h * g.in_w * cs;
  for (size_t i = n_begin * image; i < n_end * image; i++) dx[i] = 0.0f;
  for (size_t n = n_begin; n < n_end; n++) {
    float* dxn = dx + n * image;
    for (size_t oh = 0; oh < g.out_h; oh++) {
      for (size_t ow = 0; ow < g.out_w; ow++) {
        const avgpool_window w = avgpool_window_at(g, a, oh, ow);
        const v4f divisor = {w.divisor, w.divisor, w.divisor, w.divisor};
        const float* dyp = dy + ((n * g.out_h + oh) * g.out_w + ow) * cs;
        size_t c = 0;
        for (; c + 4 <= cs; c += 4) {
          const v4f share = load4(dyp + c) / divisor;
          for (size_t ih = w.h0; ih < w.h1; ih++) {
            for (size_t iw = w.w0; iw < w.w1; iw++) {
              float* p = dxn + (ih * g.in_w + iw) * cs + c;
              store4(p, load4(p) + share);
            }
          }
        }
        for (; c < cs; c++) {
          const float share = dyp[c] / w.divisor;
          for (size_t ih = w.h0; ih < w.h1; ih++) {
            for (size_t iw = w.w0; iw < w.w1; iw++) dxn[(ih * g.in_w + iw) * cs + c] += share;
          }
        }
      }
    }
  }
}
