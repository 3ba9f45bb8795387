// Average pooling, PyTorch's avg_pool2d: each window's input cells summed in raster order (rows,
// then columns), then divided by its divisor (avgpool_window_at: the cells inside the input, or
// with count_include_pad inside the padded input).
#include <cassert>

#include "kernels/kernels.h"

void f32_avgpool2d_scalar(const f32_window_geometry& g, const f32_avgpool_params& a, const float* x,
                          float* y) {
  assert(x != nullptr && y != nullptr);
  assert(g.in_c == g.out_c && window_geometry_valid(g));
  assert(g.pad_top < g.kernel_h && g.pad_left < g.kernel_w);  // no window of padding alone
  const size_t cs = g.in_c;
  for (size_t n = 0; n < g.batch; n++) {
    const float* xn = x + n * g.in_h * g.in_w * cs;
    for (size_t oh = 0; oh < g.out_h; oh++) {
      for (size_t ow = 0; ow < g.out_w; ow++) {
        const avgpool_window w = avgpool_window_at(g, a, oh, ow);
        float* yp = y + ((n * g.out_h + oh) * g.out_w + ow) * cs;
        for (size_t c = 0; c < cs; c++) {
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
