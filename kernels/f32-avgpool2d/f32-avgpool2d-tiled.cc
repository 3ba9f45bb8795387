// Average pooling over images [n_begin, n_end), four channels at a time (vec4.h): per channel the
// scalar reference's sum order and division, so the same bits (built without contraction).
#include <cassert>

#include "kernels/kernels.h"
#include "kernels/vec4.h"

void f32_avgpool2d_tiled(const f32_window_geometry& g, const f32_avgpool_params& a, const float* x,
                         float* y, size_t n_begin, size_t n_end) {
  assert(x != nullptr && y != nullptr);
  assert(g.in_c == g.out_c && window_geometry_valid(g));
  assert(g.pad_top < g.kernel_h && g.pad_left < g.kernel_w);
  assert(n_begin <= n_end && n_end <= g.batch);
  const size_t cs = g.in_c;
  for (size_t n = n_begin; n < n_end; n++) {
    const float* xn = x + n * g.in_h * g.in_w * cs;
    for (size_t oh = 0; oh < g.out_h; oh++) {
      for (size_t ow = 0; ow < g.out_w; ow++) {
        const avgpool_window w = avgpool_window_at(g, a, oh, ow);
        const v4f divisor = {w.divisor, w.divisor, w.divisor, w.divisor};
        float* yp = y + ((n * g.out_h + oh) * g.out_w + ow) * cs;
        size_t c = 0;
        for (; c + 4 <= cs; c += 4) {
          v4f sum = {};
          for (size_t ih = w.h0; ih < w.h1; ih++) {
            for (size_t iw = w.w0; iw < w.w1; iw++) sum += load4(xn + (ih * g.in_w + iw) * cs + c);
          }
          store4(yp + c, sum / divisor);
        }
        for (; c < cs; c++) {
          float sum = 0.0f;
          for (size_t ih = w.h0; ih < w.h1; ih++) {
            for (size_t iw = w.w0; iw < w.w1; iw++) sum += xn[(ih * g.in_w + iw) * cs + c];
          }
          yp[c] = sum / w.divisor;
        }
      }
    }
  }
}
